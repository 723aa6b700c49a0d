package io.qrrefresher.common;

import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.Map;


/** Writes JSON answers of the HTTP endpoints. */
public final class JsonAnswers {

    private JsonAnswers() {
    }

    /** A time read by camel-sql (a {@code timestamptz}), or null. */
    public static Instant instant(Object value) {
        if (value instanceof Timestamp timestamp) {
            return timestamp.toInstant();
        }
        return value instanceof OffsetDateTime time ? time.toInstant() : null;
    }

    /** The same in ISO-8601 ({@code 2026-12-02T10:20:00Z}), as answers show times; null stays null. */
    public static String isoTime(Object value) {
        Instant instant = instant(value);
        return instant == null ? null : instant.toString();
    }

    /** A numeric column of a row read by the sql component; 0 when it is null. */
    public static Number number(Object value) {
        return value instanceof Number number ? number : 0;
    }

    public static Map<String, Object> error(String error, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", false);
        body.put("error", error);
        body.put("message", message);
        return body;
    }
}
