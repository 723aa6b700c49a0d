package io.qrrefresher.alert;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.config.Settings;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The failure check's alerts with several Evolution servers: every cause alert names the servers of its instances,
 * and when every waiting instance of one server gets no new QR, one alert names that server, its version's hint and
 * when it started; with one server, the alerts are as they always were.
 */
class StaleQrCheckServersTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Settings SETTINGS = Settings.load(Map.<String, String>of()::get);
    static final Instant T0 = Instant.parse("2026-12-06T12:00:00Z");

    /** br1 on 2.3.7, br2 on 2.2.3; a row that names no server is on br1 (the default). */
    static StaleQrCheck.Servers fleet(boolean several) {
        return new StaleQrCheck.Servers() {
            @Override
            public boolean isFleet() {
                return several;
            }

            @Override
            public String nameOf(String rowServer) {
                return rowServer.isEmpty() ? "br1" : rowServer;
            }

            @Override
            public Optional<String> versionOf(String server) {
                return Optional.of(server.equals("br2") ? "2.2.3" : "2.3.7");
            }
        };
    }

    @Test
    void whenEveryInstanceOfOneServerGetsNoQrOneAlertNamesThatServerItsVersionsHintAndWhenItStarted() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        // br1 has three connecting rows, one without QR; br2 has two, both without QR since T0 and T0 + 30 s
        rows.add(noQr("a1", "", 3, T0.minusSeconds(10)));
        rows.add(noQr("b1", "br2", 2, T0.plusSeconds(30)));
        rows.add(noQr("b2", "br2", 2, T0));
        rows.add(failing("m1", "br1", "license_required"));

        JsonNode alert = alert(check(true), rows, "evolution_not_generating_qr");

        assertThat(alert.path("scope").asText()).isEqualTo("server");
        assertThat(alert.path("server").asText()).isEqualTo("br2");
        assertThat(alert.path("started_at").asText()).isEqualTo(T0.toString());
        assertThat(alert.path("servers").toString()).isEqualTo("[\"br1\",\"br2\"]");
        assertThat(alert.path("message").asText()).contains("Evolution server 'br2' (2)", T0.toString());
        assertThat(alert.path("hint").asText()).contains("Evolution 2.2.3", "CONFIG_SESSION_PHONE_VERSION");

        JsonNode licence = alert(check(true), rows, "evolution_license_required");
        assertThat(licence.path("affected_count").asInt()).isEqualTo(1);
        assertThat(licence.path("servers").toString()).isEqualTo("[\"br1\"]");
        assertThat(licence.path("message").asText()).endsWith("(on br1)");
        assertThat(licence.path("hint").asText()).contains("LICENSE_REQUIRED", "manager");
    }

    @Test
    void whenNoServerIsWhollyWithoutQrTheScopeIsTheInstances() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        rows.add(noQr("a1", "", 3, T0));
        rows.add(noQr("b1", "br2", 2, T0));

        JsonNode alert = alert(check(true), rows, "evolution_not_generating_qr");

        assertThat(alert.path("scope").asText()).isEqualTo("instances");
        assertThat(alert.has("server")).isFalse();
        assertThat(alert.path("hint").asText()).isEqualTo(Cause.NO_QR_GENERATED.hint());
    }

    @Test
    void withOneServerTheAlertIsAsItAlwaysWas() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        rows.add(noQr("a1", "", 2, T0));
        rows.add(noQr("a2", "", 2, T0.plusSeconds(5)));
        rows.forEach(row -> row.put("connecting_count", 2));

        JsonNode alert = alert(check(false), rows, "evolution_not_generating_qr");

        assertThat(alert.path("scope").asText()).isEqualTo("server");
        assertThat(alert.has("servers")).isFalse();
        assertThat(alert.has("server")).isFalse();
        assertThat(alert.path("message").asText()).isEqualTo("2 of 2 connecting instances get no new QR code from"
                + " Evolution API ({\"count\":0} or the same code)");
        assertThat(alert.path("hint").asText()).contains("Evolution 2.3.7", "Update to 2.3.7");
    }

    private static StaleQrCheck check(boolean several) {
        return new StaleQrCheck(SETTINGS.alerts(), SETTINGS.alertCauses(),
                new AlertSignals(null, SETTINGS.alerts(), "qr-refresher"), () -> false, true, fleet(several));
    }

    private static JsonNode alert(StaleQrCheck check, List<Map<String, Object>> rows, String name) throws Exception {
        int connecting = rows.stream().mapToInt(row -> (Integer) row.get("server_connecting_count")).max().orElse(0);
        rows.forEach(row -> row.putIfAbsent("connecting_count", 5));
        StaleQrCheck.FailureCheck findings = check.classify(rows);
        for (AlertSignal signal : check.signals(findings)) {
            if (signal.getAlert().equals(name)) {
                assertThat(signal.isFiring()).isTrue();
                return JSON.readTree(signal.getPayload());
            }
        }
        throw new AssertionError("no alert " + name + " among " + connecting);
    }

    private static Map<String, Object> noQr(String name, String server, int serverConnecting, Instant since) {
        Map<String, Object> row = row(name, server, serverConnecting);
        row.put("read_since_waiting", true);
        row.put("waited_past_no_qr", true);
        row.put("waiting_since", Timestamp.from(since));
        return row;
    }

    private static Map<String, Object> failing(String name, String server, String reason) {
        Map<String, Object> row = row(name, server, 3);
        row.put("consecutive_failures", 3);
        row.put("last_failure_reason", reason);
        row.put("stale", true);
        return row;
    }

    private static Map<String, Object> row(String name, String server, int serverConnecting) {
        Map<String, Object> row = new HashMap<>();
        row.put("instance_name", name);
        row.put("server", server);
        row.put("server_connecting_count", serverConnecting);
        row.put("key_rejected_count", 0);
        row.put("consecutive_failures", 0);
        row.put("own_token", true);
        row.put("stale", false);
        return row;
    }
}
