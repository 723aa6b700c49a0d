package io.qrrefresher.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import io.qrrefresher.common.JsonAnswers;
import io.qrrefresher.evolution.QrContent;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The operators' wall: {@code GET /wall} (a page without data: it asks for the admin token) and
 * {@code GET /wall/instances?since=<epoch ms>} (admin), every {@code connecting} instance with its QR thumbnail, age,
 * expiry, last error and consecutive failures, plus whether the circuit breaker is open or the refresh paused. The page
 * polls with the {@code cursor} of the last answer, so that QR images travel only when they changed: a wall of 500
 * instances costs one small request every 2 s, and the images that rotated.
 */
public final class OperatorsWall {

    /** The most instances one answer lists (failing ones first). */
    public static final int MAX_INSTANCES = 2000;
    /** Images changed this long before the cursor are sent again: a row committed late is never missed. */
    static final long CURSOR_OVERLAP_MILLIS = 5000;
    static final String SINCE_PROPERTY = "wallSince";
    static final String PROBLEM_PROPERTY = "wallProblem";

    private static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline';"
            + " img-src data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    private final Supplier<String> circuitState;
    private final Supplier<Boolean> paused;
    private final int maxImageChars;
    private final Clock clock;
    private final String page;
    private final String script;

    /**
     * @param circuitState the Evolution API circuit breaker's state (CLOSED, OPEN, HALF_OPEN, ...)
     * @param paused       whether the scheduled refresh is paused
     */
    public OperatorsWall(Supplier<String> circuitState, Supplier<Boolean> paused, int maxImageChars, Clock clock) {
        this.circuitState = circuitState;
        this.paused = paused;
        this.maxImageChars = maxImageChars;
        this.clock = clock;
        this.page = resource("/wall/index.html");
        this.script = resource("/wall/wall.js");
    }

    /** {@code GET /wall}: the page. */
    public void page(Exchange exchange) {
        serve(exchange, "text/html; charset=utf-8", page);
    }

    /** {@code GET /wall/wall.js}: its script (a file of its own, so that the page's policy forbids inline scripts). */
    public void script(Exchange exchange) {
        serve(exchange, "text/javascript; charset=utf-8", script);
    }

    /** Reads {@code ?since=} (epoch milliseconds, default 0: every image) into a property, or notes the problem. */
    public void readSince(Exchange exchange) {
        String since = exchange.getMessage().getHeader("since", String.class);
        long value = 0;
        if (since != null && !since.isBlank()) {
            try {
                value = Long.parseLong(since.strip());
            } catch (NumberFormatException e) {
                value = -1;
            }
        }
        if (value < 0) {
            exchange.setProperty(PROBLEM_PROPERTY, "since must be the cursor of the last answer (epoch milliseconds)");
            JsonAnswers.answer(exchange, 400, JsonAnswers.error("bad_request",
                    "since must be the cursor of the last answer (epoch milliseconds)"));
            return;
        }
        exchange.setProperty(SINCE_PROPERTY, new Timestamp(value));
    }

    /** The answer, from the rows of the route's query. */
    public void snapshot(Exchange exchange) {
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = exchange.getMessage().getBody(List.class);
        Instant now = clock.instant();
        long total = 0;
        int failing = 0;
        List<Map<String, Object>> instances = new ArrayList<>();
        for (Map<String, Object> row : rows) {
            total = ((Number) row.get("total")).longValue();
            int failures = ((Number) row.get("consecutive_failures")).intValue();
            if (failures > 0) {
                failing++;
            }
            Map<String, Object> instance = new LinkedHashMap<>();
            instance.put("name", row.get("instance_name"));
            instance.put("last_qr_update", JsonAnswers.isoTime(row.get("last_qr_update")));
            instance.put("qr_expires_at", JsonAnswers.isoTime(row.get("qr_expires_at")));
            instance.put("consecutive_failures", failures);
            instance.put("last_error", row.get("last_error"));
            instance.put("last_error_at", JsonAnswers.isoTime(row.get("last_error_at")));
            Object qr = row.get("qr_code");
            // the application writes this column too: only a PNG data URL becomes an image source
            if (qr instanceof String image && image.length() <= maxImageChars
                    && image.startsWith(QrContent.PNG_DATA_URL_PREFIX)) {
                instance.put("qr_code", image);
            }
            instances.add(instance);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("server_time", now.toString());
        body.put("cursor", now.toEpochMilli() - CURSOR_OVERLAP_MILLIS);
        body.put("circuit", circuitState.get());
        body.put("paused", paused.get());
        body.put("total_connecting", total);
        body.put("failing_shown", failing);
        body.put("instances", instances);
        JsonAnswers.answer(exchange, 200, body);
        exchange.getMessage().setHeader("Cache-Control", "no-store");
    }

    private static void serve(Exchange exchange, String contentType, String content) {
        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        message.setHeader(Exchange.CONTENT_TYPE, contentType);
        message.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        message.setHeader("X-Content-Type-Options", "nosniff");
        message.setHeader("Referrer-Policy", "no-referrer");
        message.setHeader("Cache-Control", "no-cache");
        message.setBody(content);
    }

    private static String resource(String path) {
        try (InputStream in = OperatorsWall.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path + " is missing from the jar");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
