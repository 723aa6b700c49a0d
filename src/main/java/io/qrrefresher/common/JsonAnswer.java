package io.qrrefresher.common;

import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * What an HTTP endpoint answers, as a bean returns it: the status and the JSON body. The route sends it with
 * {@code direct:json-answer} (admin-api.yaml), which sets the status, {@code application/json} and the body, and
 * copies no other header: nothing the caller sent comes back.
 */
public record JsonAnswer(int status, Object body) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code {"success":false,"error":error,"message":message}} with {@code status}. */
    public static JsonAnswer error(int status, String error, String message) {
        return new JsonAnswer(status, JsonAnswers.error(error, message));
    }

    public static JsonAnswer ok(Map<String, ?> body) {
        return new JsonAnswer(200, body);
    }

    /** The body as JSON text. */
    public String json() {
        try {
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Answers are plain data and always serialise", e);
        }
    }
}
