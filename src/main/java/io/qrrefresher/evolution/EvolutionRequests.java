package io.qrrefresher.evolution;

import java.nio.charset.StandardCharsets;

import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Around the HTTP request of an Evolution API call. The route {@code call-evolution-api} says where it goes and what
 * it carries ({@code {{evolution.api.base-url}}}, the path, GET, {@code Accept} and the {@code apikey} header); this
 * bean first leaves nothing else on the message (no stray headers, no body) and starts the call's timer, and after the
 * call removes the key.
 */
public final class EvolutionRequests {

    static final String STARTED = "evolutionCallStarted";

    public void prepare(Exchange exchange) {
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setBody(null);
        exchange.setProperty(STARTED, System.nanoTime());
    }

    /** The key for an instance's calls: its own token, or the global key for rows without one (null: none). */
    public static String apiKeyFor(String instanceToken, java.util.Optional<String> globalApiKey) {
        return instanceToken != null && !instanceToken.isBlank() ? instanceToken : globalApiKey.orElse(null);
    }

    /** After the call: the key and a phone number must not stay where a log or a later step could see them. */
    public void clear(Exchange exchange) {
        exchange.getMessage().removeHeader("apikey");
        exchange.getMessage().removeHeader(Exchange.HTTP_QUERY);
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
