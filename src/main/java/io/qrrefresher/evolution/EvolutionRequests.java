package io.qrrefresher.evolution;

import java.nio.charset.StandardCharsets;


/**
 * Around the HTTP request of an Evolution API call. The route {@code call-evolution-api} says where it goes and what
 * it carries ({@code {{evolution.api.base-url}}}, the path, GET, {@code Accept} and the {@code apikey} header), and
 * removes the key afterwards; this bean starts the call's clock and encodes the instance's name as one path segment.
 */
public final class EvolutionRequests {

    /** When a call started, for its latency metric; recorded once (an answer, or a failure on the wire). */
    public static final class CallClock {
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

    /** Starts a call's clock (the route keeps it as the property {@code evolutionCallClock}). */
    public CallClock start() {
        return new CallClock();
    }

    /** The key for an instance's calls: its own token, or the global key for rows without one (null: none). */
    public static String apiKeyFor(String instanceToken, java.util.Optional<String> globalApiKey) {
        return instanceToken != null && !instanceToken.isBlank() ? instanceToken : globalApiKey.orElse(null);
    }

    /**
     * Percent-encodes everything but RFC 3986 unreserved characters, so that a name such as {@code a/b}, {@code x'); --}
     * or {@code {{admin.token}}} stays one literal path segment (Camel resolves {@code {{..}}} placeholders in HTTP URIs).
     */
    public static String pathSegment(String name) {
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
}
