package io.qrrefresher.stream;

import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.edge.EdgeGate;
import io.vertx.ext.web.RoutingContext;
import io.vertx.core.http.HttpServerResponse;

/** What the Vert.x handlers of the QR screen (stream, renew, pairing code) share: the client's address, JSON replies. */
final class HttpReplies {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HttpReplies() {
    }

    /** The address failed credentials are counted against: the client's, behind trusted proxies too. */
    static String address(RoutingContext routing) {
        return EdgeGate.clientAddress(routing);
    }

    /** A JSON answer, never cached; nothing when the client has already gone or the answer is written. */
    static void json(HttpServerResponse response, int status, Map<String, Object> body) {
        if (response.ended() || response.closed()) {
            return;
        }
        try {
            response.setStatusCode(status).putHeader("Content-Type", "application/json")
                    .putHeader("Cache-Control", "no-store").end(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("plain data always serialises", e);
        }
    }
}
