package io.qrrefresher;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import io.qrrefresher.events.ListenerWatchdog;
import io.qrrefresher.support.RestartablePostgres;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.SseClient;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL restarted twice under the push path. camel-pgevent 4.17 alone listens twice after the first restart and
 * hears nothing after the second; the watchdog must bring back exactly one LISTEN connection each time, webhooks
 * must answer 503 meanwhile (nothing lost: Evolution retries), and a stream client must get the state it missed.
 */
class PushResilienceTest {

    @TempDir
    Path dataDir;

    @Test
    void theListenerAndTheStreamComeBackAfterTwoDatabaseRestarts() throws Exception {
        try (RestartablePostgres database = new RestartablePostgres(dataDir);
             ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution)
                     .with("database.url", database.jdbcUrl())
                     .with("evolution.webhook-token", Webhooks.TOKEN)
                     .with("qr.events.heartbeat-ms", "300")
                     .start()) {
            Webhooks webhooks = new Webhooks(service);
            ListenerWatchdog watchdog = service.bean(io.qrrefresher.events.ListenerWatchdog.class);
            service.db().insertInstance("resilient", "token-resilient", "connecting");
            await().until(() -> watchdog.lastHeartbeat() != null);

            try (SseClient client = SseClient.open(service.url("/instances/resilient/qr/stream"),
                    "Bearer " + io.qrrefresher.support.RunningService.viewerToken("resilient"))) {
                assertThat(client.next(SseClient.PATIENCE).name()).isEqualTo("status");

                for (int restart = 1; restart <= 2; restart++) {
                    database.stop();
                    String event = Webhooks.qrEvent("resilient", "2@after-restart-" + restart, null);
                    HttpResponse<String> duringOutage = webhooks.post(event);
                    assertThat(duringOutage.statusCode()).isEqualTo(503);
                    assertThat(duringOutage.body()).contains("deliver it again later");

                    database.start();
                    long restarted = System.nanoTime();
                    await().atMost(Duration.ofSeconds(30)).until(() -> watchdog.isListening()
                            && watchdog.lastHeartbeat() != null
                            && service.bean(io.qrrefresher.events.ListenerConnections.class).open() == 1);
                    System.out.printf("[figures] restart %d: LISTEN back after %d ms, %d rebuilds so far%n", restart,
                            (System.nanoTime() - restarted) / 1_000_000, watchdog.rebuilds());

                    // Evolution delivers the event again: stored, announced, streamed
                    assertThat(Webhooks.json(webhooks.post(event)).get("status").asText()).isEqualTo("stored");
                    SseClient.Event streamed = client.next(SseClient.PATIENCE);
                    assertThat(streamed.name()).isEqualTo("qr");
                    assertThat(streamed.data().get("qr_code").asText())
                            .isEqualTo(service.db().instance("resilient").get("qr_code"));
                }
                // exactly one LISTEN connection, and heartbeats keep arriving once each
                long rebuilds = watchdog.rebuilds();
                await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(5)).until(() ->
                        watchdog.isListening() && watchdog.rebuilds() == rebuilds
                                && service.bean(io.qrrefresher.events.ListenerConnections.class).open() == 1);
            }
        }
    }
}
