package io.qrrefresher;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.support.Db;
import io.qrrefresher.support.PushedService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.ServiceProcess;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Poll only what webhooks miss: covered instances get no call, a covered instance is read again after the safety
 * interval (which finds a pairing whose connection.update was lost), and when webhooks stop the next run polls
 * everything. QR codes rotate every second and reach the service by webhook; QR_LIFETIME 3 s, QR_COVERED_FOR 6 s.
 * The service runs in a JVM of its own, beside the in-process tests (not beside ReplicasTest).
 */
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("process-tests") // one at a time; beside AlertCausesTest, after ReplicasTest (@Order)
@Order(22)
class WebhookCoverageTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();
    @RegisterExtension
    static final PushedService PUSHED = PushedService.rotatingEvery(Duration.ofSeconds(1), process -> process
            // slack for a loaded machine: webhooks every second count as covering for 6 s
            .env("QR_LIFETIME", "PT3S")
            .env("QR_COVERED_FOR", "PT6S")
            .env("QR_COVERED_READ_INTERVAL", "PT1H"));
    static final ServiceProcess service = PUSHED.service();
    static final ScriptedEvolutionApi evolution = PUSHED.evolution();
    static final Db db = PUSHED.db();

    @Test
    void coveredInstancesGetNoCallsInARun() throws Exception {
        List<String> names = List.of("covered-1", "covered-2", "covered-3");
        names.forEach(this::waitingInstance);
        JsonNode first = refresh();
        assertThat(first.get("covered").asInt()).as("never read yet: read once").isZero();
        awaitWebhookSinceLastRead(names);
        evolution.resetCalls();

        JsonNode run = refresh();

        assertThat(run.get("covered").asInt()).isEqualTo(3);
        assertThat(run.get("total_instances").asInt()).isEqualTo(3);
        assertThat(run.get("message").asText()).contains("3 covered by webhooks");
        assertThat(run.get("results")).allSatisfy(result -> assertThat(result.get("outcome").asText())
                .isEqualTo("covered"));
        assertThat(evolution.totalCalls()).isZero();
        JsonNode history = JSON.readTree(service.send("GET", "/refresh-runs?limit=1", null).body());
        assertThat(history.get("runs").get(0).get("covered").asInt()).isEqualTo(3);
        assertThat(service.metrics()).contains("qr_refresher_instances_total{outcome=\"covered\"}");
        assertThat(run.get("all").asBoolean()).isFalse();

        // an operator who wants every instance polled now, covered or not
        evolution.resetCalls();
        JsonNode all = refresh("/refresh-qr-codes?all=true");
        assertThat(all.get("all").asBoolean()).isTrue();
        assertThat(all.get("covered").asInt()).isZero();
        assertThat(all.get("refreshed").asInt() + all.get("unchanged").asInt()).isEqualTo(3);
        assertThat(all.get("message").asText()).contains("every instance polled");
        for (String name : names) {
            assertThat(evolution.calls(EvolutionCall.CONNECTION_STATE, name)).as(name).isEqualTo(1);
            assertThat(evolution.calls(EvolutionCall.CONNECT, name)).as(name).isEqualTo(1);
        }
        assertThat(refresh("/refresh-qr-codes?all=false").get("all").asBoolean()).isFalse();
        // anything else is refused, and starts no run
        int runs = JSON.readTree(service.send("GET", "/refresh-runs?limit=500", null).body()).get("runs").size();
        HttpResponse<String> refused = service.send("POST", "/refresh-qr-codes?all=yes%27--", null);
        assertThat(refused.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(refused.body()).get("error").asText()).isEqualTo("bad_request");
        assertThat(JSON.readTree(refused.body()).get("message").asText()).contains("all must be true or false");
        assertThat(JSON.readTree(service.send("GET", "/refresh-runs?limit=500", null).body()).get("runs"))
                .hasSize(runs);
        assertThat(service.recentLog(5)).anyMatch(line -> line.contains("Refused POST")
                && line.contains("all must be true or false"));
    }

    @Test
    void aCoveredInstanceIsReadAgainAfterTheSafetyIntervalWhichFindsALostPairing() throws Exception {
        waitingInstance("paired-quietly");
        waitingInstance("still-waiting");
        refresh();
        awaitWebhookSinceLastRead(List.of("paired-quietly", "still-waiting"));
        // the person scans; Evolution's connection.update never arrives
        evolution.loseWebhooks("paired-quietly", true);
        evolution.pair("paired-quietly");
        evolution.resetCalls();

        assertThat(refresh().get("covered").asInt()).isEqualTo(2);
        assertThat(db.instance("paired-quietly").get("instance_status")).isEqualTo("connecting");

        // QR_COVERED_READ_INTERVAL has passed for both; "covered-too" is read later
        waitingInstance("covered-too");
        refresh();
        awaitWebhookSinceLastRead(List.of("paired-quietly", "still-waiting", "covered-too"));
        evolution.resetCalls();
        db.update("UPDATE qr_refresher.instance_state s SET last_read_at = now() - interval '2 hours'"
                + " FROM evolution_instances e WHERE e.id = s.instance_id"
                + " AND e.instance_name IN ('paired-quietly', 'still-waiting')");
        JsonNode run = refresh();

        assertThat(run.get("opened").asInt()).isEqualTo(1);
        assertThat(run.get("covered").asInt()).isEqualTo(1);
        assertThat(db.instance("paired-quietly").get("instance_status")).isEqualTo("open");
        assertThat(db.instance("still-waiting").get("instance_status")).isEqualTo("connecting");
        // the safety read is connectionState only: the webhooks bring the QR
        assertThat(evolution.calls(EvolutionCall.CONNECTION_STATE, "paired-quietly")).isEqualTo(1);
        assertThat(evolution.calls(EvolutionCall.CONNECTION_STATE, "still-waiting")).isEqualTo(1);
        assertThat(evolution.calls(EvolutionCall.CONNECT, "still-waiting")).isZero();
        assertThat(evolution.totalCalls()).isEqualTo(2);
        // a state read is not a QR read: the stale-QR rate (alert stale_qr_shown) is taken over QRs compared only
        JsonNode history = JSON.readTree(service.send("GET", "/refresh-runs?limit=1", null).body());
        assertThat(history.get("runs").get(0).get("qr_read").asInt()).isZero();
    }

    @Test
    void whenWebhooksStopTheNextRunPollsEverythingAndSaysSo() throws Exception {
        List<String> names = List.of("cut-1", "cut-2");
        names.forEach(this::waitingInstance);
        refresh();
        awaitWebhookSinceLastRead(names);
        assertThat(refresh().get("covered").asInt()).isEqualTo(2);

        evolution.loseWebhooks(true);
        // once no connecting instance got a webhook for QR_LIFETIME, every instance is polled
        JsonNode polled = await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                .until(WebhookCoverageTest::refresh, run -> run.get("covered").asInt() == 0);
        assertThat(polled.get("refreshed").asInt() + polled.get("unchanged").asInt()).isEqualTo(2);
        await().until(() -> service.metrics().contains("qr_refresher_webhooks_silent 1.0"));
        assertThat(health()).contains("silent: no qrcode.updated");
        assertThat(service.directory().resolve("console.log")).content().contains("Webhooks are not arriving");

        evolution.loseWebhooks(false);
        awaitWebhookSinceLastRead(names);
        JsonNode covered = refresh();
        assertThat(covered.get("covered").asInt()).isEqualTo(2);
        assertThat(service.metrics()).contains("qr_refresher_webhooks_silent 0.0");
        assertThat(health()).contains("arriving").doesNotContain("silent: no qrcode.updated");
    }

    @Test
    void rowsWaitingBeforeTheServiceSawThemWithNoWebhookEverKeepWebhooksSilent() throws Exception {
        evolution.loseWebhooks(true);
        try {
            db.update("UPDATE evolution_instances SET instance_status = 'close' WHERE instance_status = 'connecting'");
            for (String name : List.of("before-1", "before-2")) {
                evolution.addInstance(name, "token-" + name, State.CONNECTING);
                db.insertInstance(name, "token-" + name, "connecting");
            }
            // as if they had been connecting before the service's first start: no state of ours
            db.update("DELETE FROM qr_refresher.instance_state s USING evolution_instances e"
                    + " WHERE e.id = s.instance_id AND e.instance_name LIKE 'before-%'");
            JsonNode first = refresh();
            assertThat(first.get("refreshed").asInt() + first.get("unchanged").asInt()).isEqualTo(2);

            // a QR lifetime after the service first saw them, webhooks are silent...
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                refresh();
                return service.metrics().contains("qr_refresher_webhooks_silent 1.0");
            });
            // ...and stay so through runs that each store new QRs (which move the rows' updated_at)
            for (int i = 0; i < 3; i++) {
                await().pollInterval(Duration.ofMillis(300)).until(() -> refresh().get("refreshed").asInt() > 0);
                assertThat(service.metrics()).contains("qr_refresher_webhooks_silent 1.0");
                assertThat(health()).contains("silent: no qrcode.updated");
            }
        } finally {
            evolution.loseWebhooks(false);
        }
    }

    private void waitingInstance(String name) {
        evolution.addInstance(name, "token-" + name, State.CONNECTING);
        db.insertInstance(name, "token-" + name, "connecting");
        await().until(() -> db.instance(name).get("qr_code") != null);
    }

    /** Until each instance got a webhook after it was last read (the instance counts as covered then). */
    private static void awaitWebhookSinceLastRead(List<String> names) {
        await().until(() -> names.stream().allMatch(name -> Boolean.TRUE.equals(db.queryOne(
                "SELECT s.last_webhook_at > s.last_read_at AS heard FROM qr_refresher.instance_state s"
                        + " JOIN evolution_instances e ON e.id = s.instance_id WHERE e.instance_name = ?", name)
                .get("heard"))));
    }

    private static JsonNode refresh() throws Exception {
        return refresh("/refresh-qr-codes");
    }

    private static JsonNode refresh(String path) throws Exception {
        HttpResponse<String> response = service.send("POST", path, null);
        assertThat(response.statusCode()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private static String health() throws Exception {
        return HTTP.send(HttpRequest.newBuilder(service.managementUrl("/observe/health?exposureLevel=full")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
