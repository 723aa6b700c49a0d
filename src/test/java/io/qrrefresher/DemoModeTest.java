package io.qrrefresher;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.DemoMode;
import io.qrrefresher.support.FreePorts;
import io.qrrefresher.support.RunningService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/** With no configuration at all: embedded PostgreSQL, the simulator, and the whole loop working. */
class DemoModeTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    @Test
    void zeroConfigurationShowsTheWholeLoopAndKeepsItsDataAcrossRestarts() throws Exception {
        int databasePort = FreePorts.next();
        long runsBefore;
        try (RunningService demo = demo(databasePort).start()) {
            assertThat(demo.bean(io.qrrefresher.config.Settings.class).isDemo()).isTrue();
            assertThat(demo.bean(io.qrrefresher.db.Database.class).isEmbedded()).isTrue();

            HttpResponse<String> response = demo.post("/refresh-qr-codes", DemoMode.ADMIN_TOKEN);

            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode body = JSON.readTree(response.body());
            assertThat(body.get("total_instances").asInt()).isEqualTo(4);
            // the default server's simulator also pushes each QR as a webhook from the start: whatever came first, the
            // run found each of its instances' current QR stored (refreshed by it, or unchanged after the webhook)
            for (JsonNode result : body.get("results")) {
                if (result.get("instance_name").asText().equals("demo-onboarding")) {
                    // the preview server stands behind its licence gate for its first minute, then is activated
                    assertThat(result.path("cause").asText().equals("license_required") || java.util.List.of(
                            "refreshed", "unchanged", "covered").contains(result.path("outcome").asText()))
                            .as(result.toString()).isTrue();
                } else {
                    assertThat(result.get("outcome").asText()).as(result.toString()).isIn("refreshed", "unchanged");
                }
            }
            for (String name : java.util.List.of("demo-storefront", "demo-support", "demo-sales")) {
                assertThat(demo.db().instance(name).get("qr_code").toString()).as(name)
                        .startsWith("data:image/png;base64,");
            }
            // demo-sales was closed in Evolution: exactly one connect brought it back
            assertThat(demo.bean(io.qrrefresher.ServiceMode.class).simulator().orElseThrow().socketsOpened("demo-sales")).isEqualTo(1);
            assertThat(demo.post("/refresh-qr-codes", "wrong").statusCode()).isEqualTo(401);
            // the first page a new user opens: the demo instances live through the widget, with working tokens
            HttpResponse<String> page = demo.get("/", null);
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                    .startsWith("text/html"));
            java.util.regex.Matcher token = java.util.regex.Pattern
                    .compile("<whatsapp-qr instance=\"demo-storefront\" token=\"([^\"]+)\"").matcher(page.body());
            assertThat(token.find()).isTrue();
            assertThat(page.body()).contains("/widget/whatsapp-qr.js?v=", "demo-support", "demo-sales",
                    "demo-onboarding", "Server <code>default</code> · Evolution 2.3.7",
                    "Server <code>preview</code> · Evolution 2.4.0-rc2", "/observe/health");
            JsonNode servers = JSON.readTree(demo.get("/evolution-servers", DemoMode.ADMIN_TOKEN).body());
            assertThat(servers.path("servers").findValuesAsText("name")).containsExactly("default", "preview");
            try (io.qrrefresher.support.SseClient stream = io.qrrefresher.support.SseClient.open(
                    demo.url("/instances/demo-storefront/qr/stream?token=" + token.group(1)), null)) {
                assertThat(stream.status()).isEqualTo(200);
                assertThat(stream.next(java.time.Duration.ofSeconds(10)).data().get("server_time").asText()).isNotEmpty();
            }
            runsBefore = (Long) demo.db().queryOne("SELECT count(*) AS n FROM qr_refresher.refresh_runs").get("n");
        }
        assertThat(Files.exists(dataDir.resolve("PG_VERSION"))).isTrue();

        try (RunningService again = demo(databasePort).start()) {
            long runs = (Long) again.db().queryOne("SELECT count(*) AS n FROM qr_refresher.refresh_runs").get("n");
            assertThat(runs).isEqualTo(runsBefore);
        }
    }

    private RunningService demo(int databasePort) {
        return RunningService.bare()
                .with("admin.token", null)
                .with("evolution.timeout-ms", null)
                .with("embedded.postgres.data-dir", dataDir.toString())
                .with("embedded.postgres.port", String.valueOf(databasePort));
    }
}
