package io.qrrefresher;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.alert.WebhookSignature;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.WebhookReceiver;
import io.qrrefresher.support.WebhookReceiver.Delivery;
import org.apache.camel.api.management.ManagedCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * check-qr-failures and the webhook: one post when an incident starts, one when it ends, signed, retried until the
 * receiver takes it, never twice.
 */
@Execution(ExecutionMode.CONCURRENT) // a second service in this JVM, beside the one-at-a-time classes
@ResourceLock("second-service")
@Order(11)
class AlertsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String SECRET = "webhook-signing-secret";
    static ScriptedEvolutionApi evolution;
    WebhookReceiver receiver;
    RunningService service;

    @BeforeAll
    static void startEvolution() throws Exception {
        evolution = ScriptedEvolutionApi.start();
    }

    @AfterAll
    static void stopEvolution() {
        evolution.close();
    }

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = new WebhookReceiver();
    }

    @AfterEach
    void stop() throws Exception {
        if (service != null) {
            service.close();
        }
        receiver.close();
    }

    private RunningService checkingEverySecond() {
        service = RunningService.against(evolution)
                .with("qr.failure-check.cron", "* * * * * ?")
                .with("qr.stale-after", "PT1M")
                .with("alert.webhook.url", receiver.url().toString())
                .with("alert.webhook.secret", SECRET)
                .with("service.name", "qr-refresher-test")
                // retries doubling from 0.2 s, at most 1 s apart: a receiver back is reached within a second, however
                // many attempts failed while it was down (under load, seven of them made the next one 25 s away)
                .with("alert.delivery.retry-max", "PT1S")
                .start();
        return service;
    }

    @Test
    void anIncidentIsPostedOnceWhenItStartsAndOnceWhenItEnds() throws Exception {
        checkingEverySecond();
        service.db().insertInstance("never-refreshed", "token-1", "connecting");
        service.db().insertInstance("refreshed-long-ago", "token-2", "connecting");
        service.db().update("UPDATE evolution_instances SET last_qr_update = now() - interval '2 minutes'"
                + " WHERE instance_name = 'refreshed-long-ago'");
        service.db().insertInstance("fresh", "token-3", "connecting");
        service.db().update("UPDATE evolution_instances SET last_qr_update = now() WHERE instance_name = 'fresh'");
        service.db().insertInstance("paired", "token-4", "open");
        // waiting for a QR for longer than QR_STALE_AFTER; "just-entered" only started to wait
        waitingFor("never-refreshed", "2 minutes");
        waitingFor("refreshed-long-ago", "3 minutes");
        service.db().insertInstance("just-entered", "token-5", "connecting");
        // a QR from an earlier wait says nothing about this one
        service.db().insertInstance("asked-again", "token-6", "close");
        service.db().update("UPDATE evolution_instances SET last_qr_update = now() - interval '1 hour'"
                + " WHERE instance_name = 'asked-again'");
        service.db().update("UPDATE evolution_instances SET instance_status = 'connecting'"
                + " WHERE instance_name = 'asked-again'");

        Delivery firing = awaitDelivery(body -> body.get("status").asText().equals("firing"));

        JsonNode alert = JSON.readTree(firing.body());
        assertThat(alert.get("alert").asText()).isEqualTo("qr_refresh_failures");
        assertThat(alert.get("failed_count").asInt()).isEqualTo(2);
        assertThat(alert.get("instances")).extracting(JsonNode::asText)
                .containsExactly("never-refreshed", "refreshed-long-ago");
        assertThat(alert.get("stale_after_seconds").asInt()).isEqualTo(60);
        assertThat(alert.get("service").asText()).isEqualTo("qr-refresher-test");
        assertThat(alert.get("detected_at").asText()).endsWith("Z");
        assertThat(firing.header("Content-Type")).startsWith("application/json");
        // a UUID, the payload's own: unique across deployments
        assertThat(firing.header("X-Alert-Delivery-Id")).isEqualTo(alert.get("delivery_id").asText())
                .matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
        // t=…,v1=… over the timestamp and the body: valid now, refused replayed later, refused for another body
        String signature = firing.header(WebhookSignature.HEADER);
        byte[] signed = firing.body().getBytes(StandardCharsets.UTF_8);
        assertThat(signature).matches("t=[0-9]{10},v1=[0-9a-f]{64}");
        assertThat(receiverAccepts(SECRET, signature, signed, java.time.Instant.now(),
                java.time.Duration.ofMinutes(5))).isTrue();
        assertThat(receiverAccepts(SECRET, signature, signed, java.time.Instant.now().plusSeconds(3600),
                java.time.Duration.ofMinutes(5))).isFalse();
        assertThat(receiverAccepts(SECRET, signature, (firing.body() + " ").getBytes(StandardCharsets.UTF_8),
                java.time.Instant.now(), java.time.Duration.ofMinutes(5))).isFalse();
        assertThat(receiverAccepts("another secret", signature, signed, java.time.Instant.now(),
                java.time.Duration.ofMinutes(5))).isFalse();
        // the same labels as Alertmanager and the shipped rules
        assertThat(alert.get("labels").toString()).isEqualTo("{\"alertname\":\"qr_refresh_failures\","
                + "\"service\":\"qr-refresher-test\",\"severity\":\"warning\",\"cause\":\"stale_qr\"}");

        long checksBefore = checks();
        await().until(() -> checks() >= checksBefore + 3);
        assertThat(receiver.deliveries()).hasSize(1);

        service.db().update("UPDATE evolution_instances SET last_qr_update = now()");
        Delivery resolved = awaitDelivery(body -> body.get("status").asText().equals("resolved"));
        assertThat(JSON.readTree(resolved.body()).get("alert").asText()).isEqualTo("qr_refresh_failures");
        assertThat(JSON.readTree(resolved.body()).get("failed_count").asInt()).isZero();

        long checksAfter = checks();
        await().until(() -> checks() >= checksAfter + 3);
        assertThat(receiver.deliveries()).hasSize(2);
    }

    @Test
    void aReceiverThatIsDownGetsTheAlertOnceItIsBackAndNothingBlocks() throws Exception {
        receiver.down();
        checkingEverySecond();
        service.db().insertInstance("stale", "token-1", "connecting");
        waitingFor("stale", "2 minutes");

        await().until(() -> attempts() >= 3);
        // the refresh keeps working while alerts cannot be delivered
        assertThat(service.refresh().getTotal()).isEqualTo(1);
        receiver.up();
        receiver.answer(503);
        await().until(() -> receiver.refused() >= 1);
        receiver.answer(200);

        awaitDelivery(body -> body.get("status").asText().equals("firing")
                && body.path("alert").asText().equals("qr_refresh_failures"));
        long checksBefore = checks();
        await().until(() -> checks() >= checksBefore + 2);
        // the refresh met a 404 meanwhile: "stale" is also missing in Evolution, an alert of its own
        assertThat(receiver.deliveries()).filteredOn(delivery -> delivery.body().contains("qr_refresh_failures"))
                .hasSize(1);
        assertThat(service.db().queryOne("SELECT delivered_at, last_error FROM qr_refresher.alert_outbox"
                + " WHERE alert = 'qr_refresh_failures'").get("delivered_at")).isNotNull();
    }

    @Test
    void anAlertRetriedForADayIsGivenUpNotRetriedForEver() throws Exception {
        receiver.down();
        service = RunningService.against(evolution)
                .with("alert.webhook.url", receiver.url().toString())
                .start();
        // as after a day with the receiver down: hundreds of attempts (the doubling wait must stay an interval
        // PostgreSQL can hold: 5 s * 2^300 was "interval out of range", and the alert was retried for ever)
        service.db().update("INSERT INTO qr_refresher.alert_outbox (alert, status, payload, attempts, created_at,"
                + " next_attempt_at) VALUES ('qr_refresh_failures', 'firing', '{}', 300, now() - interval '25 hours',"
                + " now())");

        await().until(() -> service.db().queryOne("SELECT abandoned_at FROM qr_refresher.alert_outbox")
                .get("abandoned_at") != null);
        assertThat(service.db().queryOne("SELECT attempts, last_error FROM qr_refresher.alert_outbox"))
                .satisfies(row -> assertThat(((Number) row.get("attempts")).intValue()).isEqualTo(301))
                .satisfies(row -> assertThat(row.get("last_error")).isNotNull());
    }

    @Test
    void aQueuedAlertThatCannotBeRenderedIsRetriedThenGivenUpLikeAnyOther() throws Exception {
        service = RunningService.against(evolution)
                .with("alert.webhook.url", receiver.url().toString())
                .with("alert.webhook.format", "slack")
                .start();
        // a row no post can be made of (its payload is no JSON): there is no AlertPost, so the retry is scheduled by
        // the row's own id, and the row is given up like any other
        service.db().update("INSERT INTO qr_refresher.alert_outbox (alert, status, payload, attempts, created_at,"
                + " next_attempt_at) VALUES ('qr_refresh_failures', 'firing', 'not json', 3,"
                + " now() - interval '25 hours', now())");

        await().until(() -> service.db().queryOne("SELECT abandoned_at FROM qr_refresher.alert_outbox")
                .get("abandoned_at") != null);
        assertThat(service.db().queryOne("SELECT attempts, last_error FROM qr_refresher.alert_outbox"))
                .satisfies(row -> assertThat(((Number) row.get("attempts")).intValue()).isEqualTo(4))
                .satisfies(row -> assertThat(String.valueOf(row.get("last_error"))).contains("JsonParseException"));
        assertThat(receiver.deliveries()).isEmpty();
    }

    @Test
    void aFiringAlertIsPostedAgainAfterTheReminderInterval() throws Exception {
        service = RunningService.against(evolution)
                .with("qr.failure-check.cron", "* * * * * ?")
                .with("alert.reminder-interval", "PT2S")
                .with("alert.webhook.url", receiver.url().toString())
                .start();
        service.db().insertInstance("stale", "token-1", "connecting");
        waitingFor("stale", "1 hour");

        await().atMost(Duration.ofSeconds(20)).until(() -> receiver.deliveries().size() >= 2);
        assertThat(receiver.deliveries()).allSatisfy(delivery -> {
            assertThat(JSON.readTree(delivery.body()).get("status").asText()).isEqualTo("firing");
            assertThat(delivery.header(WebhookSignature.HEADER)).isNull();
        });
    }

    @Test
    void aRevokedApikeyFiresAnAlertThatResolvesWhenEvolutionAcceptsItAgain() throws Exception {
        service = RunningService.against(evolution)
                .with("alert.webhook.url", receiver.url().toString())
                .start();
        // rows without their own token: every call carries EVOLUTION_API_KEY
        evolution.addInstance("global-1", "unused-1", io.qrrefresher.demo.EvolutionSimulator.State.CONNECTING);
        evolution.addInstance("global-2", "unused-2", io.qrrefresher.demo.EvolutionSimulator.State.CONNECTING);
        service.db().insertInstance("global-1", null, "connecting");
        service.db().insertInstance("global-2", null, "connecting");
        try {
            // the server's AUTHENTICATION_API_KEY changed
            evolution.changeGlobalApiKey("rotated-on-the-server");
            service.refresh();
            Delivery firing = awaitDelivery(body -> body.get("alert").asText().equals("evolution_api_unauthorized"));
            JsonNode alert = JSON.readTree(firing.body());
            assertThat(alert.get("status").asText()).isEqualTo("firing");
            assertThat(alert.get("cause").asText()).isEqualTo("api_key_rejected");
            assertThat(alert.get("hint").asText()).contains("EVOLUTION_API_KEY", "AUTHENTICATION_API_KEY");
            assertThat(alert.get("affected_count").asInt()).isEqualTo(2);
            service.refresh();
        } finally {
            evolution.changeGlobalApiKey(ScriptedEvolutionApi.GLOBAL_KEY);
        }
        service.refresh();
        awaitDelivery(body -> body.get("alert").asText().equals("evolution_api_unauthorized")
                && body.get("status").asText().equals("resolved"));
        assertThat(receiver.deliveries()).hasSize(2);
    }

    /** As if the row had entered connecting that long ago. */
    private void waitingFor(String name, String interval) {
        service.db().update("UPDATE qr_refresher.instance_state s SET connecting_since = now() - CAST(? AS interval)"
                + " FROM evolution_instances e WHERE e.id = s.instance_id AND e.instance_name = ?", interval, name);
    }

    private long checks() throws Exception {
        return service.context().getCamelContextExtension().getContextPlugin(ManagedCamelContext.class)
                .getManagedRoute("check-qr-failures").getExchangesCompleted();
    }

    private long attempts() {
        List<java.util.Map<String, Object>> rows = service.db().query("SELECT attempts FROM qr_refresher.alert_outbox");
        return rows.isEmpty() ? 0 : ((Number) rows.get(0).get("attempts")).longValue();
    }

    private Delivery awaitDelivery(Predicate<JsonNode> matching) {
        return await().atMost(Duration.ofSeconds(20)).until(() -> receiver.deliveries().stream()
                .filter(delivery -> {
                    try {
                        return matching.test(JSON.readTree(delivery.body()));
                    } catch (Exception e) {
                        return false;
                    }
                }).findFirst().orElse(null), java.util.Objects::nonNull);
    }

    /**
     * What a receiver does with X-Alert-Signature, written apart from the service's code (as docs/operators.md's
     * snippet does it): the HMAC-SHA256 of "t.body" equals v1, and t is within the tolerance of now.
     */
    private static boolean receiverAccepts(String secret, String header, byte[] body, java.time.Instant now,
                                           java.time.Duration tolerance) throws Exception {
        java.util.Map<String, String> parts = new java.util.HashMap<>();
        for (String part : header.split(",")) {
            String[] pair = part.split("=", 2);
            parts.put(pair[0], pair.length == 2 ? pair[1] : "");
        }
        long t = Long.parseLong(parts.get("t"));
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
        String expected = java.util.HexFormat.of().formatHex(mac.doFinal(body));
        return java.security.MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                parts.get("v1").getBytes(StandardCharsets.US_ASCII))
                && Math.abs(now.getEpochSecond() - t) <= tolerance.toSeconds();
    }
}
