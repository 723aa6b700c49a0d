package io.qrrefresher.evolution;

import java.util.Optional;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.common.RouteContract;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry of the resilience4j circuit breaker around every Evolution API call. The breaker itself, and its
 * settings, are declared in the route {@code call-evolution-api} ({@code resilience4jConfiguration}); Camel creates it
 * in this registry under the id of the {@code circuitBreaker} step, and this class watches it: its transitions raise
 * and resolve the {@code evolution_api_unreachable} alert.
 */
public final class EvolutionCircuitBreaker {

    private static final Logger LOG = LoggerFactory.getLogger(EvolutionCircuitBreaker.class);

    private EvolutionCircuitBreaker() {
    }

    /** An empty registry (resilience4j's metrics binder reads it) that watches the breaker once the route creates it. */
    public static CircuitBreakerRegistry registry(String breakerName, AlertSignals alerts) {
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
        registry.getEventPublisher().onEntryAdded(event -> {
            if (breakerName.equals(event.getAddedEntry().getName())) {
                watch(event.getAddedEntry(), alerts);
            }
        });
        return registry;
    }

    /** The state of the breaker around Evolution API calls (the route's circuitBreaker step); CLOSED before it exists. */
    public static CircuitBreaker.State evolutionState(CircuitBreakerRegistry registry) {
        return state(registry, RouteContract.EVOLUTION_CIRCUIT_BREAKER);
    }

    /** The state of the breaker, CLOSED before its route created it. */
    public static CircuitBreaker.State state(CircuitBreakerRegistry registry, String breakerName) {
        Optional<CircuitBreaker> breaker = registry.find(breakerName);
        return breaker.map(CircuitBreaker::getState).orElse(CircuitBreaker.State.CLOSED);
    }

    private static void watch(CircuitBreaker breaker, AlertSignals alerts) {
        CircuitBreakerConfig config = breaker.getCircuitBreakerConfig();
        breaker.getEventPublisher().onStateTransition(event -> {
            switch (event.getStateTransition().getToState()) {
                case OPEN -> {
                    String reason = String.format(
                            "%.0f%% of the last %d calls failed; calls suspended for %ds, then %d trial calls",
                            breaker.getMetrics().getFailureRate(), breaker.getMetrics().getNumberOfBufferedCalls(),
                            config.getWaitIntervalFunctionInOpenState().apply(1) / 1000,
                            config.getPermittedNumberOfCallsInHalfOpenState());
                    LOG.warn("Evolution API circuit breaker opened: {}", reason);
                    alerts.evolutionUnreachable(reason);
                }
                case HALF_OPEN -> LOG.info("Evolution API circuit breaker half-open: trying {} calls",
                        config.getPermittedNumberOfCallsInHalfOpenState());
                case CLOSED -> {
                    LOG.info("Evolution API circuit breaker closed: Evolution API answers again");
                    alerts.evolutionReachable();
                }
                default -> LOG.info("Evolution API circuit breaker is now {}", event.getStateTransition().getToState());
            }
        });
    }
}
