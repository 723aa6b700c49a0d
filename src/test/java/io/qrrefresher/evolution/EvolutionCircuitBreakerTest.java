package io.qrrefresher.evolution;

import java.util.List;
import java.util.Map;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.qrrefresher.alert.AlertSignal;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.config.Settings;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Several Evolution servers, one breaker each: the evolution_api_unreachable alert fires when a first one opens,
 * naming its server, and resolves only when the last open one closes; the worst state is the fleet's state.
 */
class EvolutionCircuitBreakerTest {

    @Test
    void theAlertFollowsTheFirstOpenAndTheLastCloseAndNamesTheServer() throws Exception {
        try (DefaultCamelContext context = new DefaultCamelContext()) {
            context.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("seda:alert-signals").to("mock:signals");
                }
            });
            context.start();
            MockEndpoint signals = context.getEndpoint("mock:signals", MockEndpoint.class);
            AlertSignals alerts = new AlertSignals(context, Settings.load(Map.<String, String>of()::get).alerts(),
                    "qr-refresher");
            CircuitBreakerRegistry registry = EvolutionCircuitBreaker.registry("evolution-api", alerts);
            CircuitBreaker br1 = registry.circuitBreaker("evolution-api-br1");
            CircuitBreaker br2 = registry.circuitBreaker("evolution-api-br2");
            // a breaker that is not an Evolution server's is neither watched nor counted
            CircuitBreaker other = registry.circuitBreaker("jwks");
            other.transitionToOpenState();
            assertThat(EvolutionCircuitBreaker.evolutionState(registry)).isEqualTo(CircuitBreaker.State.CLOSED);

            signals.expectedMessageCount(1);
            br1.transitionToOpenState();
            signals.assertIsSatisfied();
            AlertSignal opened = signals.getReceivedExchanges().get(0).getMessage().getBody(AlertSignal.class);
            assertThat(opened.isFiring()).isTrue();
            assertThat(opened.getAlert()).isEqualTo("evolution_api_unreachable");
            assertThat(opened.getPayload()).contains("Evolution server 'br1'");
            assertThat(EvolutionCircuitBreaker.evolutionState(registry)).isEqualTo(CircuitBreaker.State.OPEN);

            br2.transitionToOpenState();
            br1.transitionToHalfOpenState();
            br1.transitionToClosedState();
            // one queue, one consumer: what the closes of br1 sent comes before this marker, br2's after it
            context.createProducerTemplate().sendBody("seda:alert-signals", "marker");
            br2.transitionToHalfOpenState();
            assertThat(EvolutionCircuitBreaker.evolutionState(registry)).isEqualTo(CircuitBreaker.State.HALF_OPEN);
            br2.transitionToClosedState();

            // the opening of br2 (firing again, naming it), the marker, the resolve
            org.awaitility.Awaitility.await().until(() -> signals.getReceivedExchanges().stream()
                    .anyMatch(exchange -> exchange.getMessage().getBody() instanceof AlertSignal signal
                            && !signal.isFiring()));
            List<Object> sent = signals.getReceivedExchanges().stream()
                    .map(exchange -> exchange.getMessage().getBody()).toList();
            int marker = sent.indexOf("marker");
            assertThat(marker).as("the marker came through").isNotNegative();
            assertThat(sent.subList(1, marker)).as("sent while br2 was open").allSatisfy(signal ->
                    assertThat(((AlertSignal) signal).isFiring()).isTrue());
            assertThat(sent.subList(1, marker)).anySatisfy(signal ->
                    assertThat(((AlertSignal) signal).getPayload()).contains("Evolution server 'br2'"));
            assertThat(sent.subList(marker + 1, sent.size())).singleElement().satisfies(signal -> {
                assertThat(((AlertSignal) signal).isFiring()).isFalse();
                assertThat(((AlertSignal) signal).getAlert()).isEqualTo("evolution_api_unreachable");
            });
            assertThat(EvolutionCircuitBreaker.evolutionState(registry)).isEqualTo(CircuitBreaker.State.CLOSED);
        }
    }
}
