package io.qrrefresher.bench;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The design we replace, for comparison: the edge function that pg_cron called every minute (QR_REFRESH_SETUP.fr.md).
 * It reads every {@code connecting} row, then, one instance after the other, calls {@code GET /instance/connect}
 * with the instance's token (8 s timeout) and writes {@code qr_code} and {@code last_qr_update}: one HTTP call and one
 * UPDATE per instance, whether the code changed or not. Run in a JVM of its own by {@link RefreshBenchmark}:
 * {@code SequentialBaseline <evolution base URL> <jdbc url> <cycles>}; prints {@code cycle <millis> <updated>}
 * per cycle and {@code rss-peak-kb <n>} at the end.
 */
public final class SequentialBaseline {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SequentialBaseline() {
    }

    public static void main(String[] args) throws Exception {
        URI evolution = URI.create(args[0]);
        int cycles = Integer.parseInt(args[2]);
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(8)).build();
        try (Connection db = DriverManager.getConnection(args[1], "postgres", "")) {
            for (int cycle = 0; cycle < cycles; cycle++) {
                long start = System.nanoTime();
                int updated = refreshAll(http, evolution, db);
                System.out.println("cycle " + (System.nanoTime() - start) / 1_000_000 + " " + updated);
            }
        }
        System.out.println("rss-peak-kb " + ProcessMemory.rssPeakKb(ProcessHandle.current().pid()));
    }

    private static int refreshAll(HttpClient http, URI evolution, Connection db) throws Exception {
        record Row(String name, String token) {
        }
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement select = db.prepareStatement(
                "SELECT instance_name, instance_token FROM evolution_instances WHERE instance_status = 'connecting'");
             ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                rows.add(new Row(rs.getString(1), rs.getString(2)));
            }
        }
        int updated = 0;
        try (PreparedStatement update = db.prepareStatement(
                "UPDATE evolution_instances SET qr_code = ?, last_qr_update = now() WHERE instance_name = ?")) {
            for (Row row : rows) {
                HttpRequest request = HttpRequest.newBuilder(evolution.resolve("/instance/connect/"
                                + URLEncoder.encode(row.name(), StandardCharsets.UTF_8)))
                        .header("apikey", row.token()).timeout(Duration.ofSeconds(8)).GET().build();
                try {
                    JsonNode reply = JSON.readTree(http.send(request, HttpResponse.BodyHandlers.ofString()).body());
                    if (reply.hasNonNull("base64")) {
                        update.setString(1, reply.get("base64").asText());
                        update.setString(2, row.name());
                        updated += update.executeUpdate();
                    }
                } catch (Exception e) {
                    System.err.println(row.name() + ": " + e);
                }
            }
        }
        return updated;
    }
}
