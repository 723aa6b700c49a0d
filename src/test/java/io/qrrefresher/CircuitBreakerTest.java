package io.qrrefresher;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.Fixtures;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.WebhookReceiver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Evolution API down: the circuit breaker opens, later runs finish at once without calling it, one alert fires; when
 * it answers again the half-open trial calls close the breaker, the alert resolves and QR codes flow again.
 */
class CircuitBreakerTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final int INSTANCES = 12;
    static ScriptedEvolutionApi evolution;
    static WebhookReceiver receiver;
    static RunningService service;

    @BeforeAll
    static void start() throws Exception {
        evolution = ScriptedEvolutionApi.start();
        receiver = new WebhookReceiver();
        service = RunningService.against(evolution)
                .with("qr.refresh.concurrency", "2")
                .with("evolution.circuit.window-size", "4")
                .with("evolution.circuit.minimum-calls", "4")
                .with("evolution.circuit.failure-rate", "50")
                .with("evolution.circuit.open-duration", "PT2S")
                .with("evolution.circuit.half-open-calls", "2")
                .with("alert.webhook.url", receiver.url().toString())
                .start();
        for (int i = 0; i < INSTANCES; i++) {
            evolution.addInstance("i" + i, "token-" + i, State.CONNECTING);
            evolution.rotate("i" + i);
            service.db().insertInstance("i" + i, "token-" + i, "connecting");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        receiver.close();
        evolution.close();
    }

    @Test
    void opensUnderAFailingApiThenRecovers() throws Exception {
        CircuitBreaker breaker = service.circuitBreaker();
        evolution.failEveryCall(Fixtures.reply(502, "internal-error.json"));

        RefreshRun failing = service.refresh();

        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(failing.getFailed()).isEqualTo(INSTANCES);
        // the breaker opened after 4 failed calls; at most the calls already in flight reached the API
        assertThat(evolution.totalCalls()).isLessThanOrEqualTo(4 + 2);
        assertThat(failing.getResults()).filteredOn(r -> r.error().contains("circuit breaker is open"))
                .hasSizeGreaterThanOrEqualTo(INSTANCES - 6);
        // calls the breaker did not make are not failures of the instance
        assertThat(service.db().query("SELECT 1 FROM qr_refresher.instance_state WHERE consecutive_failures > 0"))
                .hasSizeLessThanOrEqualTo(6);

        evolution.resetCalls();
        RefreshRun whileOpen = service.refresh();
        assertThat(whileOpen.getFailed()).isEqualTo(INSTANCES);
        assertThat(evolution.totalCalls()).isZero();

        JsonNode firing = awaitAlert("firing");
        assertThat(firing.get("message").asText()).contains("calls failed");

        evolution.clearFaults();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            service.refresh();
            return breaker.getState() == CircuitBreaker.State.CLOSED;
        });
        RefreshRun recovered = service.refresh();
        assertThat(recovered.getFailed()).isZero();
        assertThat(service.db().query("SELECT 1 FROM evolution_instances WHERE qr_code IS NOT NULL"))
                .hasSize(INSTANCES);
        awaitAlert("resolved");
        assertThat(receiver.deliveries()).hasSize(2);
    }

    private static JsonNode awaitAlert(String status) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> receiver.deliveries().stream()
                .map(delivery -> {
                    try {
                        return JSON.readTree(delivery.body());
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .filter(alert -> alert.get("alert").asText().equals("evolution_api_unreachable")
                        && alert.get("status").asText().equals(status))
                .findFirst().orElse(null), java.util.Objects::nonNull);
    }
}
