package io.qrrefresher.evolution;

/** The Evolution API calls the service makes, by path and method. */
public enum EvolutionCall {
    /** {@code GET /instance/connectionState/{name}}: side-effect free. */
    CONNECTION_STATE("connectionState", "GET"),
    /** {@code GET /instance/connect/{name}}: a read while connecting, but opens a new WhatsApp socket when closed. */
    CONNECT("connect", "GET"),
    /**
     * {@code DELETE /instance/logout/{name}}: ends the instance's socket and session. Only made when a person asked to
     * link with their phone number while a QR was shown (a new socket must ask for the pairing code).
     */
    LOGOUT("logout", "DELETE");

    private final String pathSegment;
    private final String method;

    EvolutionCall(String pathSegment, String method) {
        this.pathSegment = pathSegment;
        this.method = method;
    }

    public String pathSegment() {
        return pathSegment;
    }

    public String method() {
        return method;
    }
}
