package io.qrrefresher.routes;

import java.time.Duration;
import java.util.Properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.qrrefresher.ServiceLifecycle;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.Fixtures;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.WebhookReceiver;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.EndpointInject;
import org.apache.camel.builder.AdviceWithRouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.test.main.junit5.AdviceRouteMapping;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.apache.camel.test.main.junit5.Configure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Route test of call-evolution-api's circuit breaker: Evolution API down, the breaker opens, later runs finish at once
 * without calling it, one alert fires; when it answers again the half-open trial calls close the breaker, the alert
 * resolves and QR codes flow again. A mock endpoint at the route's entry sees every call the refresh asked for.
 */
@CamelMainTest(
        propertyPlaceholderLocations = {"file:target/route-tests/circuit-breaker.properties", "file:application.properties"},
        advices = @AdviceRouteMapping(route = "call-evolution-api", advice = CircuitBreakerRoutesTest.SeeCallsAsked.class))
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CircuitBreakerRoutesTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final int INSTANCES = 12;
    static final WebhookReceiver RECEIVER = receiver();
    static final ScriptedEvolutionApi EVOLUTION;
    static final ServiceLifecycle LIFECYCLE = new ServiceLifecycle();

    static {
        Properties properties = new Properties();
        properties.setProperty("qr.refresh.concurrency", "2");
        properties.setProperty("evolution.circuit.window-size", "4");
        properties.setProperty("evolution.circuit.minimum-calls", "4");
        properties.setProperty("evolution.circuit.failure-rate", "50");
        properties.setProperty("evolution.circuit.open-duration", "PT2S");
        properties.setProperty("evolution.circuit.half-open-calls", "2");
        properties.setProperty("alert.webhook.url", RECEIVER.url().toString());
        EVOLUTION = RoutesUnderTest.evolutionFor("circuit-breaker", properties);
    }

    /** Each call the refresh asks call-evolution-api for, before the breaker decides. */
    public static final class SeeCallsAsked extends AdviceWithRouteBuilder {
        @Override
        public void configure() {
            weaveAddFirst().to("mock:calls-asked");
        }
    }

    @BeanInject
    CamelContext context;
    @EndpointInject("mock:calls-asked")
    MockEndpoint calls;
    RoutesUnderTest routes;

    @Configure
    protected void configure(MainConfigurationProperties configuration) {
        RouteTestSupport.configure(configuration, LIFECYCLE);
    }

    // the context is injected before each test, not before all (one test here)
    @BeforeEach
    void instances() {
        routes = new RoutesUnderTest(context, EVOLUTION);
        for (int i = 0; i < INSTANCES; i++) {
            EVOLUTION.addInstance("i" + i, "token-" + i, State.CONNECTING);
            EVOLUTION.rotate("i" + i);
            routes.db().insertInstance("i" + i, "token-" + i, "connecting");
        }
    }

    @AfterAll
    void stop() throws Exception {
        LIFECYCLE.close();
        RECEIVER.close();
        EVOLUTION.close();
    }

    @Test
    void opensUnderAFailingApiThenRecovers() throws Exception {
        CircuitBreaker breaker = context.getRegistry().findSingleByType(CircuitBreakerRegistry.class).find("evolution-api").orElseThrow();
        EVOLUTION.failEveryCall(Fixtures.reply(502, "internal-error.json"));

        // the route's own view: every instance went through call-evolution-api, few reached the HTTP call
        calls.expectedMessageCount(INSTANCES);
        RefreshRun failing = routes.refresh();
        calls.assertIsSatisfied();

        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(failing.getFailed()).isEqualTo(INSTANCES);
        // the breaker opened after 4 failed calls; at most the calls already in flight reached the API
        assertThat(EVOLUTION.totalCalls()).isLessThanOrEqualTo(4 + 2);
        assertThat(failing.getResults()).filteredOn(r -> r.error().contains("circuit breaker is open"))
                .hasSizeGreaterThanOrEqualTo(INSTANCES - 6);
        // calls the breaker did not make are not failures of the instance
        assertThat(routes.db().query("SELECT 1 FROM qr_refresher.instance_state WHERE consecutive_failures > 0"))
                .hasSizeLessThanOrEqualTo(6);

        EVOLUTION.resetCalls();
        RefreshRun whileOpen = routes.refresh();
        assertThat(whileOpen.getFailed()).isEqualTo(INSTANCES);
        assertThat(EVOLUTION.totalCalls()).isZero();

        JsonNode firing = awaitAlert("firing");
        assertThat(firing.get("message").asText()).contains("calls failed");

        EVOLUTION.clearFaults();
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            routes.refresh();
            return breaker.getState() == CircuitBreaker.State.CLOSED;
        });
        RefreshRun recovered = routes.refresh();
        assertThat(recovered.getFailed()).isZero();
        assertThat(routes.db().query("SELECT 1 FROM evolution_instances WHERE qr_code IS NOT NULL"))
                .hasSize(INSTANCES);
        awaitAlert("resolved");
        assertThat(RECEIVER.deliveries()).hasSize(2);
    }

    private static WebhookReceiver receiver() {
        try {
            return new WebhookReceiver();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static JsonNode awaitAlert(String status) {
        return await().atMost(Duration.ofSeconds(10)).until(() -> RECEIVER.deliveries().stream()
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
