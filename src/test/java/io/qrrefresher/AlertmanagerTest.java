package io.qrrefresher;

import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.support.FreePorts;
import io.qrrefresher.support.DebianTool;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * ALERT_WEBHOOK_FORMAT=alertmanager against a real Alertmanager (Debian's prometheus-alertmanager, started here; .ci/run
 * installs it): the stale-QR incident is accepted by POST /api/v2/alerts, shows as active with its labels and
 * annotations, and is gone once resolved. Skipped, loudly, without the binary.
 */
@Execution(ExecutionMode.CONCURRENT) // a second service in this JVM, beside the one-at-a-time classes
@ResourceLock("second-service")
@Order(18)
class AlertmanagerTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path folder;

    @Test
    void anIncidentFiresInAlertmanagerAndResolves() throws Exception {
        File program = DebianTool.require("/usr/bin/prometheus-alertmanager", "prometheus-alertmanager",
                "AlertmanagerTest");
        int port = FreePorts.next();
        // the shipped example, its receiver left without a destination
        String shipped = Files.readString(Path.of("monitoring/alertmanager/alertmanager.yml"));
        String receiver = "    webhook_configs:\n      - url: http://alert-receiver.example:8080/alerts\n"
                + "        send_resolved: true\n";
        assertThat(shipped).contains(receiver);
        Path config = Files.writeString(folder.resolve("alertmanager.yml"), shipped.replace(receiver, ""));
        Process alertmanager = new ProcessBuilder(program.getPath(), "--config.file=" + config,
                "--storage.path=" + Files.createDirectories(folder.resolve("data")),
                "--web.listen-address=127.0.0.1:" + port, "--cluster.listen-address=")
                .redirectErrorStream(true).redirectOutput(folder.resolve("alertmanager.log").toFile()).start();
        URI api = URI.create("http://127.0.0.1:" + port);
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start()) {
            await().atMost(Duration.ofSeconds(60)).until(() -> status(api.resolve("/-/ready")) == 200);
            try (RunningService service = RunningService.against(evolution)
                    .with("qr.failure-check.cron", "* * * * * ?")
                    .with("qr.stale-after", "PT1M")
                    .with("alert.webhook.url", api.resolve("/api/v2/alerts").toString())
                    .with("alert.webhook.format", "alertmanager")
                    .with("service.name", "qr-refresher-am")
                    .start()) {
                service.db().insertInstance("am-stale", "token-am", "connecting");
                service.db().update("UPDATE evolution_instances SET last_qr_update = now() - interval '2 minutes'"
                        + " WHERE instance_name = 'am-stale'");
                service.db().update("UPDATE qr_refresher.instance_state SET connecting_since = now() - interval"
                        + " '3 minutes'");

                JsonNode alert = await().atMost(Duration.ofSeconds(30)).until(() -> active(api), found -> found != null);
                assertThat(alert.get("labels").get("service").asText()).isEqualTo("qr-refresher-am");
                assertThat(alert.get("labels").get("severity").asText()).isEqualTo("warning");
                assertThat(alert.get("annotations").get("summary").asText()).isEqualTo("QR codes not refreshed");
                assertThat(alert.get("annotations").get("description").asText()).contains("1 connecting instances");
                assertThat(alert.get("annotations").get("instances").asText()).isEqualTo("am-stale");
                assertThat(alert.get("labels").get("cause").asText()).isEqualTo("stale_qr");
                assertThat(alert.get("annotations").get("main_cause").asText()).isEqualTo("not_polled");
                assertThat(alert.get("annotations").get("affected_count").asText()).isEqualTo("1");
                assertThat(alert.get("annotations").get("hint").asText()).contains("GET /refresh-control");
                assertThat(alert.get("status").get("state").asText()).isEqualTo("active");

                // the shipped rule's alert for an unreachable Evolution server, as Prometheus posts it: the
                // shipped inhibition silences the stale-QR alert it causes, and lifts it when it resolves
                String ruleAlert = "[{\"labels\":{\"alertname\":\"evolution_api_unreachable\",\"service\":"
                        + "\"qr-refresher-am\",\"severity\":\"critical\",\"cause\":\"evolution\",\"instance\":"
                        + "\"qr-refresher:9876\",\"name\":\"evolution-api\"},\"startsAt\":\"%s\",\"endsAt\":\"%s\"}]";
                java.time.Instant now = java.time.Instant.now();
                post(api, String.format(ruleAlert, now, now.plus(Duration.ofHours(1))));
                await().atMost(Duration.ofSeconds(30)).until(() -> "suppressed".equals(
                        active(api).get("status").get("state").asText()));
                assertThat(active(api).get("status").get("inhibitedBy").size()).isEqualTo(1);
                post(api, String.format(ruleAlert, now, java.time.Instant.now()));
                await().atMost(Duration.ofSeconds(30)).until(() -> "active".equals(
                        active(api).get("status").get("state").asText()));

                service.db().update("UPDATE evolution_instances SET last_qr_update = now()");
                await().atMost(Duration.ofSeconds(30)).until(() -> active(api) == null);
                assertThat(Files.readString(folder.resolve("alertmanager.log"))).doesNotContain("level=error");
            }
        } finally {
            alertmanager.destroy();
            alertmanager.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Our alert as Alertmanager lists it among its active alerts, or null. */
    private static JsonNode active(URI api) throws Exception {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(api.resolve("/api/v2/alerts?active=true"))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        for (JsonNode alert : JSON.readTree(answer.body())) {
            if (alert.get("labels").get("alertname").asText().equals("qr_refresh_failures")) {
                return alert;
            }
        }
        return null;
    }

    private static void post(URI api, String alerts) throws Exception {
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(api.resolve("/api/v2/alerts"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(alerts)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    }

    private static int status(URI uri) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.discarding())
                    .statusCode();
        } catch (Exception e) {
            return 0;
        }
    }
}
