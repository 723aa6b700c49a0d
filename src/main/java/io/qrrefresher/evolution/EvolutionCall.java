package io.qrrefresher.evolution;

/** The two read-only Evolution API calls the refresher makes, by path. */
public enum EvolutionCall {
    /** {@code GET /instance/connectionState/{name}}: side-effect free. */
    CONNECTION_STATE("connectionState"),
    /** {@code GET /instance/connect/{name}}: a read while connecting, but opens a new WhatsApp socket when closed. */
    CONNECT("connect");

    private final String pathSegment;

    EvolutionCall(String pathSegment) {
        this.pathSegment = pathSegment;
    }

    public String pathSegment() {
        return pathSegment;
    }
}
