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
    private final Supplier<List<Map<String, Object>>> servers;
    private final java.util.function.UnaryOperator<String> serverOf;
    private final Supplier<Boolean> paused;
    private final int maxImageChars;
    private final Clock clock;
    private final String page;
    private final String script;

    /**
     * @param circuitState the Evolution API circuit breaker's state (CLOSED, OPEN, HALF_OPEN, ...)
     * @param servers      each Evolution server as GET /evolution-servers shows it (name, version, breaker, licence)
     * @param serverOf     the server a row's server column names ("": none, the default server)
     * @param paused       whether the scheduled refresh is paused
     */
    public OperatorsWall(Supplier<String> circuitState, Supplier<List<Map<String, Object>>> servers,
                         java.util.function.UnaryOperator<String> serverOf, Supplier<Boolean> paused,
                         int maxImageChars, Clock clock) {
        this.circuitState = circuitState;
        this.servers = servers;
        this.serverOf = serverOf;
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

    /**
     * {@code GET /favicon.ico}, which every browser asks of every page (the demo page, the wall, a page of the widget
     * on this origin): a 32×32 icon drawn once, a PNG in an ICO container.
     */
    public byte[] favicon() {
        return FAVICON.clone();
    }

    private static final byte[] FAVICON = drawFavicon();

    private static byte[] drawFavicon() {
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(32, 32,
                java.awt.image.BufferedImage.TYPE_INT_ARGB);
        java.awt.Graphics2D g = image.createGraphics();
        g.setRenderingHint(java.awt.RenderingHints.KEY_ANTIALIASING, java.awt.RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(new java.awt.Color(0x1b, 0x7f, 0x3b));
        g.fillRoundRect(0, 0, 32, 32, 8, 8);
        g.setColor(java.awt.Color.WHITE);
        // the three finder patterns of a QR code
        for (int[] at : new int[][] {{5, 5}, {18, 5}, {5, 18}}) {
            g.fillRect(at[0], at[1], 9, 9);
            g.setColor(new java.awt.Color(0x1b, 0x7f, 0x3b));
            g.fillRect(at[0] + 2, at[1] + 2, 5, 5);
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(at[0] + 3, at[1] + 3, 3, 3);
        }
        g.fillRect(20, 20, 3, 3);
        g.fillRect(24, 24, 3, 3);
        g.fillRect(20, 24, 2, 2);
        g.dispose();
        try {
            java.io.ByteArrayOutputStream png = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(image, "png", png);
            byte[] bytes = png.toByteArray();
            java.nio.ByteBuffer ico = java.nio.ByteBuffer.allocate(6 + 16 + bytes.length)
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
            ico.putShort((short) 0).putShort((short) 1).putShort((short) 1);
            ico.put((byte) 32).put((byte) 32).put((byte) 0).put((byte) 0).putShort((short) 1).putShort((short) 32)
                    .putInt(bytes.length).putInt(6 + 16);
            ico.put(bytes);
            return ico.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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

    /**
     * The answer, from the rows of the route's queries: the instances, and per server how many wait, how many have a
     * QR that has not expired, and the last error of one that fails.
     */
    public JsonAnswer snapshot(List<Map<String, Object>> rows, List<Map<String, Object>> serverRows) {
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
            instance.put("server", serverOf.apply(row.get("server") == null ? "" : (String) row.get("server")));
            instance.put("last_qr_update", JsonAnswers.isoTime(row.get("last_qr_update")));
            instance.put("qr_expires_at", JsonAnswers.isoTime(row.get("qr_expires_at")));
            instance.put("consecutive_failures", failures);
            instance.put("last_error", row.get("last_error"));
            // when the failure that is still going was seen: none once a refresh succeeded again (the row keeps it)
            instance.put("last_error_at", failures > 0 ? JsonAnswers.isoTime(row.get("last_error_at")) : null);
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
        body.put("servers", serverCards(serverRows));
        body.put("instances", instances);
        return JsonAnswer.ok(body);
    }

    /** A card per server: what it says of itself and its breaker, and its waiting instances' freshness. */
    private List<Map<String, Object>> serverCards(List<Map<String, Object>> serverRows) {
        Map<String, Map<String, Object>> counts = new LinkedHashMap<>();
        for (Map<String, Object> row : serverRows == null ? List.<Map<String, Object>>of() : serverRows) {
            String server = serverOf.apply(row.get("server") == null ? "" : (String) row.get("server"));
            Map<String, Object> count = counts.computeIfAbsent(server, key -> new LinkedHashMap<>(Map.of(
                    "waiting", 0L, "fresh", 0L, "failing", 0L)));
            count.merge("waiting", ((Number) row.get("waiting")).longValue(), (a, b) -> (Long) a + (Long) b);
            count.merge("fresh", ((Number) row.get("fresh")).longValue(), (a, b) -> (Long) a + (Long) b);
            count.merge("failing", ((Number) row.get("failing")).longValue(), (a, b) -> (Long) a + (Long) b);
            if (row.get("last_error") != null) {
                count.putIfAbsent("last_error", row.get("last_error"));
                count.putIfAbsent("last_error_at", JsonAnswers.isoTime(row.get("last_error_at")));
            }
        }
        List<Map<String, Object>> cards = new ArrayList<>();
        for (Map<String, Object> server : servers.get()) {
            Map<String, Object> card = new LinkedHashMap<>();
            card.put("name", server.get("name"));
            card.put("version", server.get("version"));
            card.put("circuit_breaker", server.get("circuit_breaker"));
            card.put("licence_required", server.get("licence_required"));
            card.put("problem", server.get("problem"));
            Map<String, Object> count = counts.getOrDefault(String.valueOf(server.get("name")), Map.of());
            long waiting = (Long) count.getOrDefault("waiting", 0L);
            long fresh = (Long) count.getOrDefault("fresh", 0L);
            card.put("waiting", waiting);
            card.put("fresh", fresh);
            card.put("fresh_percent", waiting == 0 ? 100 : Math.round(100.0 * fresh / waiting));
            card.put("failing", count.getOrDefault("failing", 0L));
            card.put("last_error", count.get("last_error"));
            card.put("last_error_at", count.get("last_error_at"));
            cards.add(card);
        }
        return cards;
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
