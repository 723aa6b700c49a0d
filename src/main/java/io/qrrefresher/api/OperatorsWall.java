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

import io.qrrefresher.common.JsonAnswer;
import io.qrrefresher.common.JsonAnswers;
import io.qrrefresher.common.Parameter;
import io.qrrefresher.evolution.QrContent;

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

    /** {@code GET /wall}: the page (the route sends it with its security headers). */
    public String page() {
        return page;
    }

    /** {@code GET /wall/wall.js}: its script (a file of its own, so that the page's policy forbids inline scripts). */
    public String script() {
        return script;
    }

    /** {@code ?since=}: the cursor of the last answer (epoch milliseconds; default 0: every image). */
    public Parameter<Timestamp> since(String since) {
        long value = 0;
        if (since != null && !since.isBlank()) {
            try {
                value = Long.parseLong(since.strip());
            } catch (NumberFormatException e) {
                value = -1;
            }
        }
        return value < 0 ? Parameter.wrong("since must be the cursor of the last answer (epoch milliseconds)")
                : Parameter.of(new Timestamp(value));
    }

    /** The answer, from the rows of the route's query. */
    public JsonAnswer snapshot(List<Map<String, Object>> rows) {
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
        return JsonAnswer.ok(body);
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
