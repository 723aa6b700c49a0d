package io.qrrefresher;

import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ServiceUnderTest;
import io.qrrefresher.support.SseClient;
import io.qrrefresher.support.Webhooks;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** NOTIFY out, the immediate refresh of requested instances, and the live QR stream. */
class LiveQrTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration QUIET = Duration.ofMillis(800);

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create()
            .with("evolution.webhook-token", Webhooks.TOKEN)
            .with("qr.refresh.on-request", "true")
            .with("qr.stream.heartbeat-ms", "300")
            .with("qr.events.heartbeat-ms", "500");
    Webhooks webhooks;

    @BeforeEach
    void webhooks() {
        webhooks = new Webhooks(sut.service());
    }

    @Test
    void anInsertedConnectingRowIsRefreshedAtOnceWithoutARun() {
        sut.evolution().addInstance("just-created", "token-just-created", State.CONNECTING);
        sut.evolution().rotate("just-created");

        long started = System.nanoTime();
        sut.db().insertInstance("just-created", "token-just-created", "connecting");
        await().atMost(Duration.ofSeconds(5)).until(() -> sut.db().instance("just-created").get("qr_code") != null);
        long millis = (System.nanoTime() - started) / 1_000_000;

        System.out.printf("[figures] INSERT of a connecting row -> QR stored in %d ms (no scheduled run)%n", millis);
        assertThat(sut.db().query("SELECT 1 FROM qr_refresher.refresh_runs")).isEmpty();
        assertThat(sut.db().instance("just-created").get("qr_code")).isEqualTo(sut.evolution().currentBase64("just-created"));
    }

    @Test
    void aClosedInstanceTheApplicationAsksAboutGetsItsOneConnectAtOnce() {
        sut.evolution().addInstance("again", "token-again", State.CLOSE);
        sut.db().insertInstance("again", "token-again", "close");

        sut.db().update("UPDATE evolution_instances SET instance_status = 'connecting' WHERE instance_name = 'again'");

        await().atMost(Duration.ofSeconds(5)).until(() -> sut.evolution().socketsOpened("again") == 1);
        sut.service().refresh();
        assertThat(sut.evolution().socketsOpened("again")).isEqualTo(1);
    }

    @Test
    void everyChangeIsAnnouncedWithoutTokenOrImage() throws Exception {
        sut.db().insertInstance("announced", "token-announced", "connecting");
        try (Connection listener = listen()) {
            webhooks.post(Webhooks.qrEvent("announced", "2@announced", null));
            webhooks.post(Webhooks.fixture("webhook-connection-update-open.json", "announced", null));

            List<JsonNode> events = new ArrayList<>();
            await().until(() -> {
                PGNotification[] received = listener.unwrap(PGConnection.class).getNotifications(200);
                for (PGNotification notification : received == null ? new PGNotification[0] : received) {
                    assertThat(notification.getParameter()).doesNotContain("token-announced", "data:image");
                    JsonNode event = JSON.readTree(notification.getParameter());
                    if ("announced".equals(event.path("instance_name").asText())) {
                        events.add(event);
                    }
                }
                return events.size() >= 2;
            });
            JsonNode qr = events.get(0);
            assertThat(qr.get("event").asText()).isEqualTo("qr_updated");
            assertThat(qr.get("instance_status").asText()).isEqualTo("connecting");
            assertThat(qr.get("last_qr_update").isNull()).isFalse();
            assertThat(qr.get("qr_expires_at").isNull()).isFalse();
            assertThat(qr.has("instance_id") && qr.has("user_id")).isTrue();
            assertThat(events.get(1).get("event").asText()).isEqualTo("status_changed");
            assertThat(events.get(1).get("instance_status").asText()).isEqualTo("open");
        }
    }

    @Test
    void aStreamSendsTheCurrentQrThenEveryRotationAndNothingOfOtherInstances() throws Exception {
        sut.db().insertInstance("watched", "token-watched", "connecting");
        sut.db().insertInstance("other", "token-other", "connecting");
        webhooks.post(Webhooks.qrEvent("watched", "2@first", null));

        try (SseClient watched = stream("watched", viewer("watched"));
             SseClient other = stream("other", viewer("other"))) {
            assertThat(watched.status()).isEqualTo(200);
            assertThat(watched.contentType()).startsWith("text/event-stream");
            SseClient.Event first = watched.next(SseClient.PATIENCE);
            assertThat(first.name()).isEqualTo("qr");
            assertThat(first.data().get("qr_code").asText()).isEqualTo(sut.db().instance("watched").get("qr_code"));
            assertThat(first.data().has("qr_expires_at")).isTrue();
            assertThat(other.next(SseClient.PATIENCE).name()).isEqualTo("status");

            webhooks.post(Webhooks.qrEvent("watched", "2@second", null));
            SseClient.Event rotation = watched.next(SseClient.PATIENCE);
            assertThat(rotation.name()).isEqualTo("qr");
            assertThat(rotation.data().get("qr_code").asText()).isEqualTo(sut.db().instance("watched").get("qr_code"))
                    .isNotEqualTo(first.data().get("qr_code").asText());

            webhooks.post(Webhooks.fixture("webhook-connection-update-open.json", "watched", null));
            SseClient.Event paired = watched.next(SseClient.PATIENCE);
            assertThat(paired.name()).isEqualTo("status");
            assertThat(paired.data().get("instance_status").asText()).isEqualTo("open");
            assertThat(paired.data().has("qr_code")).isFalse();

            assertThat(other.next(QUIET)).isNull();
            assertThat(watched.next(QUIET)).isNull();
            assertThat(other.comments()).contains(": heartbeat");
        }
    }

    @Test
    void aStreamIsOnlyForAViewerTokenOfThatInstanceOrTheAdminTokenAsAHeader() throws Exception {
        sut.db().insertInstance("private", "token-private", "connecting");
        sut.db().insertInstance("neighbour", "token-neighbour", "connecting");

        for (String authorization : new String[] {null, "Bearer wrong", viewer("neighbour"), "token-private",
                "Bearer token-private"}) {
            try (SseClient denied = stream("private", authorization)) {
                assertThat(denied.status()).as(String.valueOf(authorization)).isEqualTo(401);
            }
        }
        // the admin (or a token signed for that very name) learns the row is not there; nobody else does
        try (SseClient unknown = stream("nobody", "Bearer " + RunningService.ADMIN_TOKEN)) {
            assertThat(unknown.status()).isEqualTo(404);
        }
        try (SseClient adminInUrl = SseClient.open(streamUrl("private", "?token=" + RunningService.ADMIN_TOKEN), null)) {
            assertThat(adminInUrl.status()).as("the admin token is never accepted in a URL").isEqualTo(401);
        }
        try (SseClient admin = stream("private", "Bearer " + RunningService.ADMIN_TOKEN);
             SseClient browser = SseClient.open(streamUrl("private", "?token="
                     + RunningService.viewerToken("private")), null)) {
            assertThat(admin.status()).isEqualTo(200);
            assertThat(browser.status()).isEqualTo(200);
            assertThat(browser.next(SseClient.PATIENCE).data().get("instance_name").asText()).isEqualTo("private");
        }
    }

    @Test
    void manyClientsShareTheServicesOneListenerConnection() throws Exception {
        sut.db().insertInstance("popular", "token-popular", "connecting");
        List<SseClient> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 20; i++) {
                clients.add(stream("popular", viewer("popular")));
            }
            for (SseClient client : clients) {
                assertThat(client.next(SseClient.PATIENCE)).isNotNull();
            }
            webhooks.post(Webhooks.qrEvent("popular", "2@for-everyone", null));
            for (SseClient client : clients) {
                assertThat(client.next(SseClient.PATIENCE).name()).isEqualTo("qr");
            }
            assertThat(sut.service().bean(io.qrrefresher.events.ListenerConnections.class).open()).isEqualTo(1);
            assertThat(sut.service().bean(io.qrrefresher.stream.QrStreams.class).clients()).isEqualTo(20);
        } finally {
            clients.forEach(SseClient::close);
        }
        await().until(() -> sut.service().bean(io.qrrefresher.stream.QrStreams.class).clients() == 0);
    }

    @Test
    void theListenerReportsItselfHealthy() {
        HealthCheck check = HealthCheckRegistry.get(sut.service().context()).getCheck("qr-events-listener")
                .orElseThrow();

        await().until(() -> sut.service().bean(io.qrrefresher.events.ListenerWatchdog.class).lastHeartbeat() != null);
        assertThat(check.call().getState()).isEqualTo(HealthCheck.State.UP);
    }

    private static String viewer(String instance) {
        return "Bearer " + RunningService.viewerToken(instance);
    }

    private SseClient stream(String instance, String authorization) throws Exception {
        return SseClient.open(streamUrl(instance, ""), authorization);
    }

    private URI streamUrl(String instance, String query) {
        return sut.service().url("/instances/" + URLEncoder.encode(instance, StandardCharsets.UTF_8) + "/qr/stream"
                + query);
    }

    private Connection listen() throws Exception {
        Connection connection = DriverManager.getConnection(
                sut.service().bean(io.qrrefresher.db.Database.class).url().jdbcUrl(), "postgres", null);
        try (Statement statement = connection.createStatement()) {
            statement.execute("LISTEN qr_code_updated");
        }
        return connection;
    }
}
