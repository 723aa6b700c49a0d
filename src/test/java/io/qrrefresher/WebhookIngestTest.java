package io.qrrefresher;

import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.qrrefresher.support.Fixtures;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ServiceUnderTest;
import io.qrrefresher.support.Webhooks;
import io.qrrefresher.support.WebhookReceiver;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/** POST /webhooks/evolution with every webhook body of the contract, and everything that can be wrong with one. */
class WebhookIngestTest {

    static final String INSTANCE = "acme-support";

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create()
            .with("evolution.webhook-token", Webhooks.TOKEN);
    Webhooks webhooks;

    @BeforeEach
    void rowWaitingForAScan() {
        webhooks = new Webhooks(sut.service());
        sut.db().insertInstance(INSTANCE, "token-acme", "connecting");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"webhook-qrcode-updated.json", "webhook-qrcode-updated-exposed-apikey.json",
        "webhook-global-no-instance-webhook.json", "rabbitmq-qrcode-updated.json", "v1/webhook-qrcode-updated.json",
        "v1/webhook-qrcode-updated-exposed-apikey.json"})
    void aQrIsStoredWithItsExpiry(String fixture) throws Exception {
        // replayed now: Evolution stamps events with its local time (here three hours behind UTC)
        HttpResponse<String> response = webhooks.post(Webhooks.fixture(fixture, INSTANCE,
                Instant.now().minus(Duration.ofHours(3))));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Webhooks.json(response).get("status").asText()).isEqualTo("stored");
        JsonNode expected = new com.fasterxml.jackson.databind.ObjectMapper().readTree(Fixtures.bytes(fixture));
        Map<String, Object> row = sut.db().instance(INSTANCE);
        // the QR of the event's code, rendered by the service (never the event's own image)
        String code = expected.get("data").get("qrcode").get("code").asText();
        assertThat(row.get("qr_code")).isEqualTo(io.qrrefresher.evolution.QrImages.dataUrl(code));
        assertThat(io.qrrefresher.evolution.QrImagesTest.decode((String) row.get("qr_code"))).isEqualTo(code);
        Timestamp stored = (Timestamp) row.get("last_qr_update");
        Timestamp expires = (Timestamp) row.get("qr_expires_at");
        assertThat(stored.toInstant()).isCloseTo(Instant.now(), within(Duration.ofSeconds(5)));
        assertThat(Duration.between(stored.toInstant(), expires.toInstant())).isEqualTo(Duration.ofSeconds(45));
        assertThat(row.get("instance_status")).isEqualTo("connecting");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(nullValues = "NULL", value = {"WZYEH1YY, WZYEH1YY", "wzye-h1yy, WZYEH1YY", "NULL, NULL",
        "'<img src=x>', NULL", "WZYEH1YY0, NULL"})
    void aPairingCodeIsStoredWithItsQrWhenItIsOne(String sent, String stored) throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        var body = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(
                Webhooks.qrEvent(INSTANCE, "2@phone" + System.nanoTime(), null));
        ((com.fasterxml.jackson.databind.node.ObjectNode) body.get("data").get("qrcode")).put("pairingCode", sent);

        assertThat(webhooks.post(json.writeValueAsString(body)).statusCode()).isEqualTo(200);

        assertThat(sut.db().instance(INSTANCE).get("pairing_code")).isEqualTo(stored);
        // and cleared with the QR when the instance is paired
        webhooks.post(Webhooks.fixture("webhook-connection-update-open.json", INSTANCE, null));
        assertThat(sut.db().instance(INSTANCE).get("pairing_code")).isNull();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "webhook-connection-update-open.json, open",
        "webhook-connection-update.json, open",
        "v1/webhook-connection-update-open.json, open",
        "webhook-connection-update-close.json, close",
        "webhook-connection-update-close-408-v2.4.json, close",
        "webhook-connection-update-refused.json, close",
        "v1/webhook-connection-update-refused.json, close",
        "webhook-status-instance-closed.json, close",
        "webhook-logout-instance.json, close",
        "webhook-qrcode-limit-reached.json, close",
        "v1/webhook-qrcode-limit-reached.json, close",
    })
    void aStateChangeSetsTheStatusAndClearsTheQr(String fixture, String status) throws Exception {
        webhooks.post(Webhooks.qrEvent(INSTANCE, "2@before", null));
        assertThat(sut.db().instance(INSTANCE).get("qr_code")).isNotNull();

        HttpResponse<String> response = webhooks.post(Webhooks.fixture(fixture, INSTANCE, null));

        assertThat(response.statusCode()).isEqualTo(200);
        Map<String, Object> row = sut.db().instance(INSTANCE);
        assertThat(row.get("instance_status")).isEqualTo(status);
        assertThat(row.get("qr_code")).isNull();
        assertThat(row.get("qr_expires_at")).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"webhook-connection-update-connecting.json", "v1/webhook-connection-update-connecting.json"})
    void connectingNeedsNoWrite(String fixture) throws Exception {
        HttpResponse<String> response = webhooks.post(Webhooks.fixture(fixture, INSTANCE, null));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(Webhooks.json(response).get("status").asText()).isEqualTo("ignored");
        assertThat(sut.db().state(INSTANCE).get("qr_code_hash")).isNull();
    }

    @Test
    void theQrLimitPostsAnAlertOnce() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver();
             RunningService alerting = RunningService.against(sut.evolution())
                     .with("evolution.webhook-token", Webhooks.TOKEN)
                     .with("alert.webhook.url", receiver.url().toString()).start()) {
            alerting.db().insertInstance("limited", "token", "connecting");
            alerting.db().insertInstance("refused-first", "token", "connecting");
            Webhooks posting = new Webhooks(alerting);

            posting.post(Webhooks.fixture("webhook-qrcode-limit-reached.json", "limited", null));
            posting.post(Webhooks.fixture("webhook-connection-update-refused.json", "limited", null));
            posting.post(Webhooks.fixture("webhook-qrcode-limit-reached.json", "limited", null));
            // Evolution sends the pair concurrently: the refused one may come first, and is the same limit
            posting.post(Webhooks.fixture("webhook-connection-update-refused.json", "refused-first", null));
            posting.post(Webhooks.fixture("webhook-qrcode-limit-reached.json", "refused-first", null));

            await().until(() -> receiver.deliveries().size() >= 2);
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            List<String> noticed = new java.util.ArrayList<>();
            for (WebhookReceiver.Delivery delivery : receiver.deliveries()) {
                JsonNode alert = json.readTree(delivery.body());
                assertThat(alert.get("alert").asText()).isEqualTo("qr_code_limit_reached");
                noticed.add(alert.get("instance_name").asText());
            }
            assertThat(noticed).containsExactlyInAnyOrder("limited", "refused-first");
            await().during(Duration.ofMillis(800)).until(() -> receiver.deliveries().size() == 2);
            // each close counts once towards qr_limit_repeated
            for (String name : List.of("limited", "refused-first")) {
                assertThat(alerting.db().queryOne("SELECT count(*) AS n FROM qr_refresher.qr_limit_closes c"
                        + " JOIN evolution_instances e ON e.id = c.instance_id WHERE e.instance_name = ?", name)
                        .get("n")).isEqualTo(1L);
                assertThat(alerting.db().instance(name).get("instance_status")).isEqualTo("close");
            }
        }
    }

    @Test
    void duplicatesAndOlderDeliveriesAreIgnored() throws Exception {
        Instant t0 = Instant.now().minus(Duration.ofHours(3));
        String first = Webhooks.qrEvent(INSTANCE, "2@first", t0);
        String second = Webhooks.qrEvent(INSTANCE, "2@second", t0.plusSeconds(5));

        assertThat(Webhooks.json(webhooks.post(first)).get("status").asText()).isEqualTo("stored");
        Object firstUpdate = sut.db().instance(INSTANCE).get("last_qr_update");
        assertThat(Webhooks.json(webhooks.post(first)).get("status").asText()).isEqualTo("ignored");
        assertThat(sut.db().instance(INSTANCE).get("last_qr_update")).isEqualTo(firstUpdate);

        assertThat(Webhooks.json(webhooks.post(second)).get("status").asText()).isEqualTo("stored");
        String secondQr = (String) sut.db().instance(INSTANCE).get("qr_code");
        // a retry of the first event, delivered after the second: older, never stored over it
        HttpResponse<String> late = webhooks.post(Webhooks.qrEvent(INSTANCE, "2@third-but-older", t0.plusSeconds(2)));
        assertThat(Webhooks.json(late).get("status").asText()).isEqualTo("ignored");
        assertThat(sut.db().instance(INSTANCE).get("qr_code")).isEqualTo(secondQr);
    }

    @Test
    void aQrDeliveredAfterItsLifetimeIsIgnored() throws Exception {
        String server = "https://evo-late.example.com";
        Instant now = Instant.now().minus(Duration.ofHours(3));
        // a timely event tells the service how far this server's clock is from ours
        webhooks.post(Webhooks.qrEvent(INSTANCE, "2@timely", now).replace("https://evo.example.com", server));

        String retried = Webhooks.qrEvent(INSTANCE, "2@expired", now.minusSeconds(120))
                .replace("https://evo.example.com", server);
        HttpResponse<String> response = webhooks.post(retried);

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(Webhooks.json(response).get("reason").asText()).startsWith("expired QR: delivered 12");
        assertThat(sut.db().state(INSTANCE).get("qr_code_hash")).isNotNull();
    }

    @Test
    void aQrForARowNotConnectingIsNotStored() throws Exception {
        sut.db().update("UPDATE evolution_instances SET instance_status = 'open' WHERE instance_name = ?", INSTANCE);

        HttpResponse<String> response = webhooks.post(Webhooks.qrEvent(INSTANCE, "2@late", null));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(Webhooks.json(response).get("status").asText()).isEqualTo("ignored");
        assertThat(sut.db().instance(INSTANCE).get("qr_code")).isNull();
    }

    @Test
    void anUnknownInstanceIsAccepted() throws Exception {
        HttpResponse<String> response = webhooks.post(Webhooks.qrEvent("nobody-knows", "2@x", null));

        assertThat(response.statusCode()).isEqualTo(202);
        assertThat(Webhooks.json(response).get("reason").asText()).isEqualTo("unknown instance");
    }

    @Test
    void theEventCanBeInThePathAsInWebhookByEventsMode() throws Exception {
        HttpResponse<String> response = webhooks.post("/webhooks/evolution/qrcode-updated?token=" + Webhooks.TOKEN,
                Webhooks.qrEvent(INSTANCE, "2@by-events", null), null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(sut.db().instance(INSTANCE).get("qr_code")).isNotNull();
    }

    @Test
    void aGlobalWebhookByEventsAppendsTheEventAfterTheToken() throws Exception {
        // WEBHOOK_GLOBAL_URL=.../webhooks/evolution?token=SECRET with WEBHOOK_GLOBAL_WEBHOOK_BY_EVENTS=true
        HttpResponse<String> response = webhooks.post("/webhooks/evolution?token=" + Webhooks.TOKEN + "/qrcode-updated",
                Webhooks.qrEvent(INSTANCE, "2@global-by-events", null), null);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(webhooks.post("/webhooks/evolution?token=wrong/" + Webhooks.TOKEN,
                Webhooks.qrEvent(INSTANCE, "2@x", null), null).statusCode()).isEqualTo(401);
    }

    @Test
    void theSecretIsAcceptedInTheUrlAsABearerOrAsEvolutionsJwt() throws Exception {
        long inTenMinutes = Instant.now().plusSeconds(600).getEpochSecond();
        assertThat(webhooks.post("/webhooks/evolution", Webhooks.qrEvent(INSTANCE, "2@a", null),
                "Bearer " + Webhooks.TOKEN).statusCode()).isEqualTo(200);
        assertThat(webhooks.post("/webhooks/evolution", Webhooks.qrEvent(INSTANCE, "2@b", null),
                "Bearer " + Webhooks.jwt(Webhooks.TOKEN, inTenMinutes, "HS256")).statusCode()).isEqualTo(200);
        assertThat(sut.db().instance(INSTANCE).get("qr_code").toString()).isNotEmpty();
    }

    @Test
    void withoutTheSecretNothingIsStored() throws Exception {
        long inTenMinutes = Instant.now().plusSeconds(600).getEpochSecond();
        long tenMinutesAgo = Instant.now().minusSeconds(600).getEpochSecond();
        String body = Webhooks.qrEvent(INSTANCE, "2@intruder", null);
        String[][] attempts = {
            {"/webhooks/evolution", null},
            {"/webhooks/evolution?token=wrong", null},
            {"/webhooks/evolution", "Bearer wrong"},
            {"/webhooks/evolution", "Basic " + Webhooks.TOKEN},
            {"/webhooks/evolution", "Bearer " + Webhooks.jwt("another-secret", inTenMinutes, "HS256")},
            {"/webhooks/evolution", "Bearer " + Webhooks.jwt(Webhooks.TOKEN, tenMinutesAgo, "HS256")},
            {"/webhooks/evolution", "Bearer " + Webhooks.jwt(Webhooks.TOKEN, inTenMinutes, "none")},
        };
        for (String[] attempt : attempts) {
            HttpResponse<String> response = webhooks.post(attempt[0], body, attempt[1]);
            assertThat(response.statusCode()).as(attempt[0] + " " + attempt[1]).isEqualTo(401);
            assertThat(response.body()).doesNotContain(Webhooks.TOKEN);
        }
        assertThat(sut.db().instance(INSTANCE).get("qr_code")).isNull();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "not JSON|<xml/>|400|body is not JSON",
        "a JSON array|[1,2]|400|not an Evolution API webhook",
        "no instance|{\"event\":\"qrcode.updated\",\"data\":{}}|400|not an Evolution API webhook",
        "an empty body||400|not an Evolution API webhook",
        "qrcode.updated without a code|{\"event\":\"qrcode.updated\",\"instance\":\"acme-support\",\"data\":{}}|400|without data.qrcode.code",
        "an unknown state|{\"event\":\"connection.update\",\"instance\":\"acme-support\",\"data\":{\"state\":\"weird\"}}|400|unknown state 'weird'",
        "an event not used|{\"event\":\"messages.upsert\",\"instance\":\"acme-support\",\"data\":{}}|202|event messages.upsert is not used",
        "the set-webhook request|SET_REQUEST|400|not an Evolution API webhook",
    })
    void aMalformedOrUnusedWebhookIsAClearAnswerAndNoWrite(String label, String body, int status, String reason)
            throws Exception {
        String payload = "SET_REQUEST".equals(body) ? new String(Fixtures.bytes("webhook-set-request.json"))
                : body == null ? "" : body;

        HttpResponse<String> response = webhooks.post(payload);

        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.body()).contains(reason);
        Map<String, Object> row = sut.db().instance(INSTANCE);
        assertThat(row.get("qr_code")).isNull();
        assertThat(row.get("instance_status")).isEqualTo("connecting");
    }

    @Test
    void withoutAWebhookTokenTheEndpointIsClosed() throws Exception {
        try (RunningService closed = RunningService.against(sut.evolution()).start()) {
            HttpResponse<String> response = new Webhooks(closed).post(Webhooks.qrEvent(INSTANCE, "2@x", null));

            assertThat(response.statusCode()).isEqualTo(403);
            assertThat(response.body()).contains("set EVOLUTION_WEBHOOK_TOKEN");
        }
    }
}
