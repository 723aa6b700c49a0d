package io.qrrefresher;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.alert.AlertFormats;
import io.qrrefresher.alert.Diagnosis;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.Db;
import io.qrrefresher.support.PushedService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.ServiceProcess;
import io.qrrefresher.support.WebhookReceiver.Delivery;
import io.qrrefresher.support.WebhookReceiver;
import io.qrrefresher.support.Webhooks;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Alerts that say why, one test per cause, each driven through the Evolution test server reproducing the behaviour
 * (count 0 for ever, 404 after deletion, a rotated instance token, repeated QR-limit closes, lost webhooks): the
 * alert's cause, hint and instances, the status endpoint and the run history, and the resolution. One service for
 * the class, in a JVM of its own (it runs beside the in-process tests; not beside ReplicasTest, whose clustered
 * checks CPU starvation disturbs); QR codes rotate every second and reach the service by webhook, the failure check
 * runs every second.
 */
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("background-processes")
@Order(20)
class AlertCausesTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static WebhookReceiver receiver;
    @RegisterExtension
    static final PushedService PUSHED = PushedService.rotatingEvery(Duration.ofSeconds(1), process -> {
        receiver = new WebhookReceiver();
        process.env("QR_FAILURE_CHECK_CRON", "* * * * * ?")
                // the waiting-cause gauges counted every second instead of every 15 s
                .env("QR_WAITING_COUNT_MS", "1000")
                // a little slack: a loaded machine must not make the healthy instances look stale
                .env("QR_STALE_AFTER", "PT4S")
                .env("QR_LIFETIME", "PT3S")
                .env("ALERT_NO_QR_AFTER", "PT3S")
                .env("ALERT_QR_LIMIT_REPEATS", "2")
                // long enough that a loaded machine's slow close-reopen cycles still fall within it
                .env("ALERT_QR_LIMIT_WINDOW", "PT10M")
                .env("ALERT_STALE_QR_WINDOW", "PT1M")
                .env("ALERT_STALE_QR_MIN_READS", "4")
                .env("ALERT_REMINDER_INTERVAL", "PT0S")
                .env("ALERT_DELIVERY_POLL_MS", "100")
                .env("ALERT_DELIVERY_RETRY_BASE", "PT0.2S")
                .env("ALERT_WEBHOOK_URL", receiver.url().toString());
    });
    static final ServiceProcess service = PUSHED.service();
    static final ScriptedEvolutionApi evolution = PUSHED.evolution();
    static final Db db = PUSHED.db();
    int deliveriesBefore;

    @AfterAll
    static void stopReceiver() {
        if (receiver != null) {
            receiver.close();
        }
    }

    @BeforeEach
    void clean() {
        db.update("DELETE FROM qr_refresher.refresh_runs");
        // incidents left by the test before resolve unseen: its posts are behind deliveriesBefore
        db.update("DELETE FROM qr_refresher.alert_incidents");
        await().until(() -> db.query("SELECT 1 FROM qr_refresher.alert_outbox"
                + " WHERE delivered_at IS NULL AND abandoned_at IS NULL").isEmpty());
        deliveriesBefore = receiver.deliveries().size();
    }

    @Test
    void evolutionAnsweringCountZeroForEveryInstanceIsNotGeneratingQrCodes() throws Exception {
        evolution.stopGeneratingQrs();
        evolution.addInstance("count-zero-1", "token-count-zero-1", State.CONNECTING);
        db.insertInstance("count-zero-1", "token-count-zero-1", "connecting");
        // the only waiting instance: its fault as far as anyone can tell
        JsonNode first = refreshUntil(alert("evolution_not_generating_qr", "firing"));
        assertThat(first.get("scope").asText()).isEqualTo("instance");
        assertThat(names(first)).containsExactly("count-zero-1");

        // a second one waits in vain too: the same incident, posted again with the server as the place to look
        evolution.addInstance("count-zero-2", "token-count-zero-2", State.CONNECTING);
        db.insertInstance("count-zero-2", "token-count-zero-2", "connecting");
        JsonNode firing = refreshUntil(alert("evolution_not_generating_qr", "firing")
                .and(body -> body.path("scope").asText().equals("server")));

        assertThat(posted(alert("evolution_not_generating_qr", "firing"))).hasSize(2);
        assertThat(firing.get("cause").asText()).isEqualTo("no_qr_generated");
        assertThat(firing.get("affected_count").asInt()).isEqualTo(2);
        assertThat(firing.get("connecting_count").asInt()).isEqualTo(2);
        assertThat(names(firing)).containsExactlyInAnyOrder("count-zero-1", "count-zero-2");
        assertThat(firing.get("hint").asText()).contains("CONFIG_SESSION_PHONE_VERSION", "every waiting instance");
        JsonNode status = status("count-zero-1");
        assertThat(status.get("cause").asText()).isEqualTo("no_qr_generated");
        assertThat(status.get("alert").asText()).isEqualTo("evolution_not_generating_qr");
        assertThat(status.get("scope").asText()).as("as the alert says it").isEqualTo("server");
        assertThat(status.get("hint").asText()).isEqualTo(firing.get("hint").asText());
        assertThat(status.get("last_read_at").isNull()).isFalse();
        assertThat(status.get("last_qr_update").isNull()).isTrue();
        assertThat(history().findValues("no_qr_yet")).isNotEmpty();
        // the same classification as a gauge, counted every QR_WAITING_COUNT_MS on every replica
        await().atMost(Duration.ofSeconds(60)).until(() -> waitingGauge(service.metrics(), "no_qr_generated") == 2.0);

        evolution.resumeGeneratingQrs();
        JsonNode resolved = refreshUntil(alert("evolution_not_generating_qr", "resolved"));
        assertThat(resolved.get("affected_count").asInt()).isZero();
        assertThat(status("count-zero-1").get("cause").isNull()).isTrue();
    }

    @Test
    void oneInstanceWithoutQrCodesAmongHealthyOnesIsThatInstance() throws Exception {
        waitingInstance("lively", "token-1");
        evolution.addInstance("mute", "token-2", State.CONNECTING);
        evolution.stopGeneratingQr("mute");
        db.insertInstance("mute", "token-2", "connecting");

        JsonNode firing = refreshUntil(alert("evolution_not_generating_qr", "firing"));

        assertThat(firing.get("scope").asText()).isEqualTo("instance");
        assertThat(names(firing)).containsExactly("mute");
        JsonNode status = status("mute");
        assertThat(status.get("cause").asText()).isEqualTo("no_qr_generated");
        assertThat(status.get("scope").asText()).isEqualTo("instance");
        assertThat(status.get("hint").asText()).isEqualTo(firing.get("hint").asText())
                .doesNotContain("CONFIG_SESSION_PHONE_VERSION");
        assertThat(status("lively").has("scope")).isFalse();
    }

    @Test
    void anInstanceDeletedInEvolutionIsMissing() throws Exception {
        waitingInstance("deleted", "token-1");
        waitingInstance("present", "token-2");
        evolution.removeInstance("deleted");

        JsonNode firing = refreshUntil(alert("evolution_instance_missing", "firing"));

        assertThat(firing.get("cause").asText()).isEqualTo("instance_missing");
        assertThat(names(firing)).containsExactly("deleted");
        assertThat(firing.get("hint").asText()).contains("HTTP 404", "recreate");
        JsonNode status = status("deleted");
        assertThat(status.get("cause").asText()).isEqualTo("instance_missing");
        assertThat(status.get("last_failure_reason").asText()).isEqualTo("not_found");
        assertThat(status.get("stale").asBoolean()).isTrue();
        JsonNode runCauses = history().get("runs").get(0).get("causes");
        assertThat(runCauses.get("instance_missing").get("instances").get(0).asText()).isEqualTo("deleted");
        assertThat(status("present").get("cause").isNull()).isTrue();

        // the application gives up on it
        db.update("UPDATE evolution_instances SET instance_status = 'close' WHERE instance_name = 'deleted'");
        awaitDelivery(alert("evolution_instance_missing", "resolved"));
    }

    @Test
    void aRotatedInstanceTokenIsThatInstancesNotTheWholeKey() throws Exception {
        waitingInstance("rotated", "old-token");
        waitingInstance("uses-global-key", null);
        evolution.changeToken("rotated", "new-token");
        // webhooks would keep its QR fresh: then the poll's 401 shows no one a stale QR
        evolution.loseWebhooks(true);

        JsonNode firing = refreshUntil(alert("evolution_instance_key_rejected", "firing"));

        assertThat(firing.get("cause").asText()).isEqualTo("instance_key_rejected");
        assertThat(names(firing)).containsExactly("rotated");
        assertThat(firing.get("hint").asText()).contains("instance_token", "HTTP 401");
        assertThat(status("rotated").get("cause").asText()).isEqualTo("instance_key_rejected");
        assertThat(posted(alert("evolution_api_unauthorized", "firing"))).isEmpty();

        db.update("UPDATE evolution_instances SET instance_token = 'new-token'"
                + " WHERE instance_name = 'rotated'");
        refreshUntil(alert("evolution_instance_key_rejected", "resolved"));
        assertThat(posted(alert("evolution_api_unauthorized", "firing"))).isEmpty();
    }

    @Test
    void anInstanceClosedByTheQrLimitAgainAndAgainIsAnAbandonedScreen() throws Exception {
        waitingInstance("abandoned", "token-1");
        evolution.limitQrs("abandoned", 1);

        // the QR limit closes the row (webhook); the application asks for a QR again; one connect opens a socket
        for (int close = 1; close <= 2; close++) {
            await().until(() -> "close".equals(db.instance("abandoned").get("instance_status")));
            if (close == 2) {
                // the screen waits again after its second close: it stays connecting while the check looks (a third
                // close before the check ran would leave nothing waiting to alert about)
                evolution.limitQrs("abandoned", 1_000);
            }
            db.update("UPDATE evolution_instances SET instance_status = 'connecting'"
                    + " WHERE instance_name = 'abandoned'");
            refresh();
        }

        JsonNode firing = awaitDelivery(alert("qr_limit_repeated", "firing"));
        assertThat(firing.get("cause").asText()).isEqualTo("qr_limit_repeated");
        assertThat(names(firing)).containsExactly("abandoned");
        assertThat(firing.get("closes").asInt()).isGreaterThanOrEqualTo(2);
        assertThat(firing.get("hint").asText()).contains("Nobody scans", "abandoned");
        JsonNode rendered = JSON.readTree(AlertFormats.render("alertmanager",
                JSON.writeValueAsString(firing), Instant.now(), Duration.ofHours(1))).get(0);
        assertThat(rendered.get("labels").get("severity").asText()).isEqualTo("info");
        // and the limit closes it a third time
        evolution.limitQrs("abandoned", 1);
        await().until(() -> "close".equals(db.instance("abandoned").get("instance_status")));
        assertThat(status("abandoned").get("cause").asText()).isEqualTo("qr_limit_repeated");

        // nobody asks again: once the window has passed (as if those closes were an hour old), it clears
        db.update("UPDATE qr_refresher.qr_limit_closes SET closed_at = closed_at - interval '1 hour'");
        awaitDelivery(alert("qr_limit_repeated", "resolved"));
        assertThat(db.query("SELECT 1 FROM qr_refresher.qr_limit_closes"
                + " WHERE closed_at < now() - interval '11 minutes'"))
                .as("closes older than the window are deleted by the check").isEmpty();
    }

    @Test
    void lostWebhooksShowStaleQrCodesAndSayWhereEvolutionShouldPost() throws Exception {
        waitingInstance("lost-1", "token-1");
        waitingInstance("lost-2", "token-2");
        evolution.loseWebhooks(true);

        JsonNode firing = refreshUntil(alert("stale_qr_shown", "firing"));

        assertThat(firing.get("cause").asText()).isEqualTo("stale_qr_shown");
        assertThat(firing.get("webhooks_configured").asBoolean()).isTrue();
        assertThat(firing.get("webhook_path").asText()).isEqualTo("/webhooks/evolution");
        assertThat(firing.get("hint").asText()).contains("Webhooks are not arriving", "/webhooks/evolution");
        assertThat(firing.get("stale_qr_found").asInt() * 100)
                .isGreaterThan(20 * firing.get("qr_read").asInt());
        assertThat(names(firing)).containsAnyOf("lost-1", "lost-2");
        JsonNode runs = history().get("runs");
        assertThat(runs.findValues("stale_qr_found").stream().mapToInt(JsonNode::asInt).sum()).isPositive();
        assertThat(runs.findValues("stale_qr_shown")).isNotEmpty();

        evolution.loseWebhooks(false);
        // as if the stale reads were older than ALERT_STALE_QR_WINDOW: only the reads since webhooks came back count
        db.update("UPDATE qr_refresher.refresh_runs SET started_at = started_at - interval '1 hour'");
        db.update("UPDATE qr_refresher.instance_state SET stale_qr_found_at = stale_qr_found_at - interval '1 hour'");
        refreshUntil(alert("stale_qr_shown", "resolved"));
    }

    @Test
    void healthyInstancesRaiseNothingOverSeveralQrLifetimes() throws Exception {
        waitingInstance("healthy-1", "token-1");
        waitingInstance("healthy-2", null);
        long threeLifetimesLater = System.currentTimeMillis() + 9000;
        // one that just entered connecting, and has no QR yet
        db.insertInstance("just-entered", "token-3", "connecting");
        evolution.addInstance("just-entered", "token-3", State.CONNECTING);

        // QR lifetime 3 s: refreshes until a failure check (one a second) has fired three lifetimes later
        await().atMost(Duration.ofSeconds(40)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            refresh();
            return lastCheck() >= threeLifetimesLater;
        });

        assertThat(receiver.deliveries().subList(deliveriesBefore, receiver.deliveries().size())).isEmpty();
        for (String name : List.of("healthy-1", "healthy-2", "just-entered")) {
            assertThat(status(name).get("cause").isNull()).as(name).isTrue();
        }
        // a series per cause, all at 0 once counted after the last test's instances were gone
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            String metrics = service.metrics();
            return Diagnosis.ROW_CAUSES.stream().allMatch(cause -> waitingGauge(metrics, cause.id()) == 0.0);
        });
    }

    @Test
    void theStatusEndpointWantsTheAdminTokenAndTakesANameAsANameOnly() throws Exception {
        waitingInstance("asked-about", "token-1");
        HttpClient http = HttpClient.newHttpClient();
        for (String token : new String[] {null, "wrong", ServiceProcess.ADMIN_TOKEN + "x"}) {
            HttpRequest.Builder request = HttpRequest.newBuilder(service.url("/instances/asked-about/status"));
            if (token != null) {
                request.header("Authorization", "Bearer " + token);
            }
            HttpResponse<String> refused = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as(String.valueOf(token)).isEqualTo(401);
            assertThat(refused.body()).doesNotContain("asked-about", "token-1");
        }
        HttpResponse<String> unknown = service.send("GET", "/instances/nobody/status", null);
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(JSON.readTree(unknown.body()).get("error").asText()).isEqualTo("unknown_instance");
        // SQL and placeholders in the name are a name that does not exist
        for (String hostile : List.of("x'%20OR%20'1'%3D'1", "%7B%7Badmin.token%7D%7D")) {
            HttpResponse<String> answer = service.send("GET", "/instances/" + hostile + "/status", null);
            assertThat(answer.statusCode()).as(hostile).isEqualTo(404);
            assertThat(answer.body()).doesNotContain(ServiceProcess.ADMIN_TOKEN, "token-1");
        }
        // a NUL byte PostgreSQL refuses is bad input, not a database outage (it was a 503)
        HttpResponse<String> nul = service.send("GET", "/instances/asked-about%00/status", null);
        assertThat(nul.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(nul.body()).get("error").asText()).isEqualTo("bad_request");
        assertThat(nul.headers().firstValue("Retry-After")).isEmpty();
        assertThat(db.query("SELECT 1 FROM evolution_instances WHERE instance_name = 'asked-about'")).hasSize(1);
    }

    /** A connecting instance in Evolution and in the table, with its first QR delivered by webhook. */
    private void waitingInstance(String name, String token) {
        evolution.addInstance(name, token == null ? "unused-" + name : token, State.CONNECTING);
        db.insertInstance(name, token, "connecting");
        await().until(() -> db.instance(name).get("qr_code") != null);
    }

    /** A manual run (POST /refresh-qr-codes), as a fast schedule would run. */
    private static void refresh() throws Exception {
        assertThat(service.send("POST", "/refresh-qr-codes", null).statusCode()).isEqualTo(200);
    }

    private JsonNode status(String name) throws Exception {
        var response = service.send("GET", "/instances/" + name + "/status", null);
        assertThat(response.statusCode()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private JsonNode history() throws Exception {
        return JSON.readTree(service.send("GET", "/refresh-runs?limit=50", null).body());
    }

    /** The value of qr_refresher_waiting_instances{cause=...} (NaN when the scrape has no such series). */
    private static double waitingGauge(String metrics, String cause) {
        Matcher value = Pattern.compile("(?m)^qr_refresher_waiting_instances\\{cause=\"" + cause + "\",?} (\\S+)$")
                .matcher(metrics);
        return value.find() ? Double.parseDouble(value.group(1)) : Double.NaN;
    }

    /** When the clustered failure check last fired (Quartz's own record of it). */
    private static long lastCheck() {
        List<Map<String, Object>> rows = db.query("SELECT prev_fire_time FROM qr_refresher.qrtz_triggers"
                + " WHERE trigger_name = 'check-qr-failures'");
        return rows.isEmpty() || rows.get(0).get("prev_fire_time") == null ? 0
                : ((Number) rows.get(0).get("prev_fire_time")).longValue();
    }

    private static Predicate<JsonNode> alert(String name, String status) {
        return body -> body.path("alert").asText().equals(name) && body.path("status").asText().equals(status);
    }

    private static List<String> names(JsonNode alert) {
        List<String> names = new ArrayList<>();
        alert.get("instances").forEach(name -> names.add(name.asText()));
        return names;
    }

    /** Refreshes about every second (as a fast schedule would) until the alert is posted. */
    private JsonNode refreshUntil(Predicate<JsonNode> matching) {
        try {
            return await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(1000)).until(() -> {
                refresh();
                return posted(matching).stream().findFirst().orElse(null);
            }, Objects::nonNull);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("Not posted within 60 s; " + situation(), e);
        }
    }

    private JsonNode awaitDelivery(Predicate<JsonNode> matching) {
        try {
            return await().atMost(Duration.ofSeconds(60))
                    .until(() -> posted(matching).stream().findFirst().orElse(null), Objects::nonNull);
        } catch (ConditionTimeoutException e) {
            throw new AssertionError("Not posted within 60 s; " + situation(), e);
        }
    }

    /** What the service had recorded and posted, for a failure's message. */
    private String situation() {
        List<String> posted = new ArrayList<>();
        for (JsonNode alert : posted(body -> true)) {
            posted.add(alert.path("alert").asText() + "/" + alert.path("status").asText());
        }
        return "instances " + db.query("SELECT e.instance_name, e.instance_status, e.last_qr_update,"
                + " s.consecutive_failures, s.last_failure_reason, s.last_read_at"
                + " FROM evolution_instances e LEFT JOIN qr_refresher.instance_state s ON s.instance_id = e.id")
                + "; QR-limit closes " + db.query("SELECT instance_id, closed_at FROM qr_refresher.qr_limit_closes")
                + "; last failure check " + (System.currentTimeMillis() - lastCheck()) + " ms ago"
                + "; incidents " + db.query("SELECT alert, status FROM qr_refresher.alert_incidents")
                + "; route metrics " + metricsOf("check-qr-failures", "record-alert")
                + "; posted since the test began " + posted;
    }

    /** The metric lines of these routes, for a failure's message. */
    private static List<String> metricsOf(String... routes) {
        try {
            String metrics = service.metrics();
            return metrics.lines().filter(line -> List.of(routes).stream()
                    .anyMatch(route -> line.contains("\"" + route + "\""))
                    && line.matches("camel_exchanges_(total|failed_total|failures_handled_total)\\{.*")).toList();
        } catch (Exception e) {
            return List.of("metrics unavailable: " + e);
        }
    }

    /** The alerts posted since this test began that match. */
    private List<JsonNode> posted(Predicate<JsonNode> matching) {
        List<Delivery> deliveries = receiver.deliveries();
        return deliveries.subList(deliveriesBefore, deliveries.size()).stream().map(delivery -> {
            try {
                return JSON.readTree(delivery.body());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).filter(matching).toList();
    }
}
