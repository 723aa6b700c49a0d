package io.qrrefresher;

import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.LogCapture;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.SseClient;
import io.qrrefresher.support.WebhookReceiver;
import io.qrrefresher.support.Webhooks;
import io.qrrefresher.support.WebhookReceiver.Delivery;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Instance tokens, the API key, the admin token and the webhook secret never reach logs, alerts, answers or tables. */
@ResourceLock("second-service") // reads the JVM's log: no other service may run meanwhile
@Order(Integer.MAX_VALUE) // last in order: by then no other service runs
class SecretsTest {

    static final String INSTANCE_TOKEN = "INSTANCE-TOKEN-6f1c";
    static final String WRONG_TOKEN = "WRONG-INSTANCE-TOKEN-93ab";
    static final String WEBHOOK_SECRET = "WEBHOOK-SECRET-77de";
    static final String WEBHOOK_PATH_SECRET = "T0SLACK-PATH-SECRET";

    @Test
    void secretsStayOutOfEverythingTheServiceWrites() throws Exception {
        List<String> secrets = List.of(INSTANCE_TOKEN, WRONG_TOKEN, WEBHOOK_SECRET, WEBHOOK_PATH_SECRET,
                ScriptedEvolutionApi.GLOBAL_KEY, RunningService.ADMIN_TOKEN, Webhooks.TOKEN, RunningService.VIEWER_SECRET,
                // the instance token Evolution puts in webhooks when AUTHENTICATION_EXPOSE_IN_FETCH_INSTANCES is on
                "B1E4C0B2-3F6A-4D7E-9C1A-2F8E5D4A7B90");
        List<String> written = new ArrayList<>();
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             WebhookReceiver receiver = new WebhookReceiver();
             LogCapture logs = LogCapture.open()) {
            URI webhook = receiver.url().resolve("/services/" + WEBHOOK_PATH_SECRET);
            try (RunningService service = RunningService.against(evolution)
                    .with("alert.webhook.url", webhook.toString())
                    .with("alert.webhook.secret", WEBHOOK_SECRET)
                    .with("evolution.webhook-token", Webhooks.TOKEN)
                    // "revoked" (its own token refused) and "keyless" (unknown to Evolution) raise alerts of their own
                    .with("qr.failure-check.cron", "* * * * * ?")
                    .with("qr.stale-after", "PT1S")
                    .start()) {
                evolution.addInstance("good", INSTANCE_TOKEN, State.CONNECTING);
                evolution.rotate("good");
                evolution.addInstance("revoked", INSTANCE_TOKEN, State.CONNECTING);
                service.db().insertInstance("good", INSTANCE_TOKEN, "connecting");
                service.db().insertInstance("revoked", WRONG_TOKEN, "connecting");
                service.db().insertInstance("keyless", null, "connecting");

                receiver.down();
                HttpResponse<String> manual = service.post("/refresh-qr-codes", RunningService.ADMIN_TOKEN);
                await().until(() -> logs.text().contains("not delivered"));
                receiver.up();
                await().until(() -> !receiver.deliveries().isEmpty());
                HttpResponse<String> denied = service.post("/refresh-qr-codes", WRONG_TOKEN);
                Webhooks webhooks = new Webhooks(service);
                written.add(webhooks.post(Webhooks.qrEvent("good", "2@pushed", null)).body());
                written.add(webhooks.post("/webhooks/evolution?token=" + WRONG_TOKEN, "{}", null).body());
                written.add(webhooks.post(Webhooks.fixture("webhook-qrcode-updated-exposed-apikey.json", "good", null))
                        .body());
                try (SseClient stream = SseClient.open(service.url("/instances/good/qr/stream?token="
                        + RunningService.viewerToken("good")), null);
                     SseClient refused = SseClient.open(service.url("/instances/good/qr/stream?token=" + WRONG_TOKEN),
                             null);
                     SseClient instanceKey = SseClient.open(service.url("/instances/good/qr/stream?token="
                             + INSTANCE_TOKEN), null);
                     SseClient adminInUrl = SseClient.open(service.url("/instances/good/qr/stream?token="
                             + RunningService.ADMIN_TOKEN), null)) {
                    written.add(String.valueOf(stream.next(java.time.Duration.ofSeconds(5)).data()));
                    written.add(String.valueOf(refused.status()));
                    assertThat(instanceKey.status()).isEqualTo(401);
                    assertThat(adminInUrl.status()).isEqualTo(401);
                }
                HttpResponse<String> history = service.get("/refresh-runs", RunningService.ADMIN_TOKEN);

                assertThat(manual.statusCode()).isEqualTo(200);
                written.add(manual.body());
                written.add(denied.body());
                written.add(history.body());
                for (Delivery delivery : receiver.deliveries()) {
                    written.add(delivery.body());
                }
                for (String table : new String[] {"qr_refresher.refresh_runs", "qr_refresher.instance_state",
                        "qr_refresher.alert_outbox", "qr_refresher.alert_incidents"}) {
                    for (Map<String, Object> row : service.db().query("SELECT * FROM " + table)) {
                        written.add(row.toString());
                    }
                }
            }
            written.add(logs.text());
            assertThat(logs.text()).contains("refused the apikey", "does not exist", "not delivered", "delivered to the webhook");
        }

        for (String text : written) {
            for (String secret : secrets) {
                int at = text.indexOf(secret);
                assertThat(at).as("%s found in: ...%s...", secret,
                        at < 0 ? "" : text.substring(Math.max(0, at - 300), Math.min(text.length(), at + 100)))
                        .isNegative();
            }
        }
    }
}
