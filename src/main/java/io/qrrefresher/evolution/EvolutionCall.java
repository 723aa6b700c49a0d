package io.qrrefresher.evolution;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import io.qrrefresher.common.Failures;
import io.qrrefresher.metrics.QrMetrics;
import org.apache.hc.core5.http.io.EofSensorInputStream;

/**
 * The shape of an Evolution API call, in one place: which calls the service makes (path and verb), what a caller
 * supplies ({@link Site}: the key, the instance, where the answer goes), and around the HTTP request itself
 * ({@link Client}: the call's clock, the answer read within a size limit, 5xx and 429 thrown for the breaker). The
 * route {@code call-evolution-api} (routes/refresh-qr-codes.yaml) says where the call goes and inside which breaker.
 */
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

    /** The key for an instance's calls: its own token, or the global key for rows without one (null: none). */
    public static String apiKeyFor(String instanceToken, Optional<String> globalApiKey) {
        return instanceToken != null && !instanceToken.isBlank() ? instanceToken : globalApiKey.orElse(null);
    }

    /**
     * Percent-encodes everything but RFC 3986 unreserved characters, so that a name such as {@code a/b}, {@code x'); --}
     * or {@code {{admin.token}}} stays one literal path segment (Camel resolves {@code {{..}}} placeholders in HTTP URIs).
     */
    public static String encodeSegment(String name) {
        StringBuilder out = new StringBuilder();
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xFF);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xF, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xF, 16)));
            }
        }
        return out.toString();
    }

    /**
     * An answer's body, read at most {@code limit} bytes far: the bytes, or null when it is longer (the connection is
     * then dropped, not drained). Every body read from an Evolution server goes through it.
     */
    static byte[] readAtMost(InputStream body, int limit) throws IOException {
        if (body == null) {
            return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int total = 0;
        int read;
        while ((read = body.read(buffer)) != -1) {
            total += read;
            if (total > limit) {
                discard(body);
                return null;
            }
            out.write(buffer, 0, read);
        }
        body.close();
        return out.toByteArray();
    }

    /** Drops the connection instead of draining a body we will not read. */
    static void discard(InputStream body) throws IOException {
        if (body instanceof EofSensorInputStream sensor) {
            sensor.abort();
        } else if (body != null) {
            body.close();
        }
    }

    /**
     * What the route {@code call-evolution-api} needs from whoever makes the call (the refresh of one instance, or a
     * request for a phone-number pairing code): the key, which call, and where the answer goes. Kept here so that the
     * Evolution client does not depend on its callers.
     */
    public interface Site {

        /** The exchange property that holds the call site of the current Evolution call (route call-evolution-api). */
        String PROPERTY = "evolutionCall";

        /** The key of the {@code apikey} header (route call-evolution-api). */
        String getApiKey();

        EvolutionCall getCall();

        /** The instance the call is about, as stored. */
        String getInstanceName();

        /** The name of the Evolution server the call goes to (route {@code call-evolution-<server>}). */
        String getServer();

        /** The path segment of the call to make, such as connectionState (route {@code call-evolution-api}). */
        default String getCallPath() {
            return getCall().pathSegment();
        }

        /** GET or DELETE (route {@code call-evolution-api}). */
        default String getHttpMethod() {
            return getCall().method();
        }

        /** The instance name as one percent-encoded URL path segment (route {@code call-evolution-api}). */
        default String getInstanceNameInPath() {
            return encodeSegment(getInstanceName());
        }

        /** The query string of the call, or null: {@code number=<digits>} only on the connect of a pairing request. */
        default String getHttpQuery() {
            return null;
        }

        /**
         * How the call waits for its server's concurrency budget ({@link EvolutionBudget.Wait}): a person's request
         * always waits; a refresh waits in a queue as long as the budget, or not at all late in its run.
         */
        default String getBudgetWait() {
            return EvolutionBudget.Wait.ALWAYS.name();
        }

        /** Evolution answered (whatever it answered). */
        void replied(EvolutionReply reply);

        /** No answer: the call was not made (breaker open) or failed before an answer. */
        void unavailable(Unanswered why);
    }

    /**
     * Why a call got no usable answer: {@code reason} is the failure reason word ({@code unavailable},
     * {@code circuit_open} or {@code license_required}), {@code shortCircuited} says the open breaker did not make the
     * call at all.
     */
    public record Unanswered(String reason, String error, boolean shortCircuited) {

        public static final String UNAVAILABLE = "unavailable";
        public static final String CIRCUIT_OPEN = "circuit_open";
        public static final String LICENCE_REQUIRED = "license_required";
        /** The server's concurrency budget was spent: the call was not made (a refresh does it later in the run). */
        public static final String SERVER_BUSY = "server_busy";

        /** The server stands behind its licence gate (the call was made, or the breaker it opened turned it away). */
        public boolean licenceRequired() {
            return LICENCE_REQUIRED.equals(reason);
        }
    }

    /** When a call started, for its latency metric; recorded once (an answer, or a failure on the wire). */
    public static final class Clock {
        private final long startedNanos = System.nanoTime();
        private boolean recorded;

        /** Nanoseconds since the start, the first time it is asked; null after that. */
        synchronized Long elapsedOnce() {
            if (recorded) {
                return null;
            }
            recorded = true;
            return System.nanoTime() - startedNanos;
        }
    }

    /**
     * The bean {@code evolutionClient} of the route {@code call-evolution-api}: starts a call's clock, and reads the
     * answer into the call's {@link Site} as an {@link EvolutionReply}. The body is read as a stream and never beyond
     * a size limit, so a runaway reply costs at most that much memory. Answers that show Evolution API itself is unwell
     * (5xx, 429) are thrown as {@link EvolutionUnavailableException}, which the circuit breaker counts.
     */
    public static final class Client {

        private final int maxReplyBytes;
        private final QrMetrics metrics;
        private final java.util.function.Predicate<String> licenceGated;

        /** @param licenceGated whether a server's last GET / answered 503 LICENSE_REQUIRED */
        public Client(int maxReplyBytes, QrMetrics metrics, java.util.function.Predicate<String> licenceGated) {
            this.maxReplyBytes = maxReplyBytes;
            this.metrics = metrics;
            this.licenceGated = licenceGated;
        }

        /** Starts a call's clock (the route keeps it as the property {@code evolutionCallClock}). */
        public Clock start() {
            return new Clock();
        }

        /**
         * Reads the answer of a call into {@code site} ({@link Site#replied}); 5xx and 429 are thrown, for the breaker
         * to count. {@code declaredLength} is the answer's Content-Length, when it has one.
         */
        public void read(Site site, Clock clock, int status, String contentType, Long declaredLength, InputStream body)
                throws EvolutionUnavailableException, IOException {
            timed(clock, site, String.valueOf(status));
            byte[] bytes;
            if (declaredLength != null && declaredLength > maxReplyBytes) {
                discard(body);
                bytes = null;
            } else {
                bytes = readAtMost(body, maxReplyBytes);
            }
            if (status >= 500 || status == 429) {
                EvolutionReply reply = EvolutionReply.parse(status, contentType, bytes == null ? new byte[0] : bytes);
                throw new EvolutionUnavailableException(reply.problem(),
                        reply.kind() == EvolutionReply.Kind.LICENCE_REQUIRED);
            }
            if (bytes == null) {
                site.replied(EvolutionReply.failure(status, "Evolution API answered HTTP " + status
                        + " with a body larger than " + maxReplyBytes + " bytes; ignored"));
                return;
            }
            site.replied(EvolutionReply.parse(status, contentType, bytes));
        }

        /** The server's concurrency budget was spent: the call was not made. */
        public void busy(Site site) {
            site.unavailable(new Unanswered(Unanswered.SERVER_BUSY, "the Evolution server " + site.getServer()
                    + " has its EVOLUTION_SERVER_CONCURRENCY calls under way: call not made", true));
        }

        /**
         * The circuit breaker's fallback: the call failed ({@code cause}), or the open breaker did not make it (no
         * cause).
         */
        public void unavailable(Site site, Clock clock, Throwable cause) {
            String server = site.getServer();
            if (cause == null) {
                // a server behind its licence gate opened its breaker with 503s: say so, not "unreachable"
                String which = io.qrrefresher.config.Settings.EvolutionServer.DEFAULT.equals(server) ? ""
                        : " (server " + server + ")";
                site.unavailable(licenceGated.test(server)
                        ? new Unanswered(Unanswered.LICENCE_REQUIRED, EvolutionReply.LICENCE_REQUIRED
                        + " (its circuit breaker is open" + which + ": call not made)", true)
                        : new Unanswered(Unanswered.CIRCUIT_OPEN, "Evolution API circuit breaker is open" + which
                        + ": call not made", true));
            } else if (cause instanceof EvolutionUnavailableException unavailable && unavailable.licenceRequired()) {
                site.unavailable(new Unanswered(Unanswered.LICENCE_REQUIRED, EvolutionReply.LICENCE_REQUIRED, false));
            } else {
                site.unavailable(new Unanswered(Unanswered.UNAVAILABLE,
                        "Evolution API unavailable: " + Failures.describe(cause), false));
                if (!(cause instanceof EvolutionUnavailableException)) {
                    timed(clock, site, "error");
                }
            }
        }

        /** Records the call's latency once, when it got an answer or failed on the wire. */
        private void timed(Clock clock, Site site, String result) {
            Long elapsed = clock == null ? null : clock.elapsedOnce();
            if (elapsed != null) {
                metrics.evolutionCall(site.getServer(), site.getCall().pathSegment(), result, elapsed);
            }
        }
    }
}
