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

    /**
     * An empty registry (resilience4j's metrics binder reads it) that watches each Evolution server's breaker once its
     * route creates it ({@code evolution-api}, {@code evolution-api-<server>}). The alert is raised when a first one
     * opens, and resolved when the last open one closes.
     */
    public static CircuitBreakerRegistry registry(String breakerName, AlertSignals alerts) {
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.ofDefaults();
        java.util.Set<String> open = java.util.concurrent.ConcurrentHashMap.newKeySet();
        registry.getEventPublisher().onEntryAdded(event -> {
            if (isEvolutionBreaker(event.getAddedEntry().getName())) {
                watch(event.getAddedEntry(), alerts, open);
            }
        });
        return registry;
    }

    /** The breaker of an Evolution server: {@code evolution-api} (the default server) or {@code evolution-api-<name>}. */
    static boolean isEvolutionBreaker(String name) {
        return name.equals(RouteContract.EVOLUTION_CIRCUIT_BREAKER)
                || name.startsWith(RouteContract.EVOLUTION_CIRCUIT_BREAKER + "-");
    }

    /** The server a breaker guards. */
    static String serverOf(String breakerName) {
        return breakerName.equals(RouteContract.EVOLUTION_CIRCUIT_BREAKER) ? "default"
                : breakerName.substring(RouteContract.EVOLUTION_CIRCUIT_BREAKER.length() + 1);
    }

    /**
     * The worst state of the Evolution servers' breakers: OPEN when one is open, else HALF_OPEN when one is trying,
     * else CLOSED (also before the routes created them).
     */
    public static CircuitBreaker.State evolutionState(CircuitBreakerRegistry registry) {
        CircuitBreaker.State worst = CircuitBreaker.State.CLOSED;
        for (CircuitBreaker breaker : registry.getAllCircuitBreakers()) {
            if (!isEvolutionBreaker(breaker.getName())) {
                continue;
            }
            CircuitBreaker.State state = breaker.getState();
            if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN) {
                return CircuitBreaker.State.OPEN;
            }
            if (state == CircuitBreaker.State.HALF_OPEN) {
                worst = CircuitBreaker.State.HALF_OPEN;
            }
        }
        return worst;
    }

    /** The state of the breaker, CLOSED before its route created it. */
    public static CircuitBreaker.State state(CircuitBreakerRegistry registry, String breakerName) {
        Optional<CircuitBreaker> breaker = registry.find(breakerName);
        return breaker.map(CircuitBreaker::getState).orElse(CircuitBreaker.State.CLOSED);
    }

    private static void watch(CircuitBreaker breaker, AlertSignals alerts, java.util.Set<String> open) {
        CircuitBreakerConfig config = breaker.getCircuitBreakerConfig();
        String server = serverOf(breaker.getName());
        String which = "default".equals(server) ? "Evolution API" : "Evolution server '" + server + "'";
        breaker.getEventPublisher().onStateTransition(event -> {
            switch (event.getStateTransition().getToState()) {
                case OPEN -> {
                    String reason = String.format(
                            "%s%.0f%% of the last %d calls failed; calls suspended for %ds, then %d trial calls",
                            "default".equals(server) ? "" : which + ": ",
                            breaker.getMetrics().getFailureRate(), breaker.getMetrics().getNumberOfBufferedCalls(),
                            config.getWaitIntervalFunctionInOpenState().apply(1) / 1000,
                            config.getPermittedNumberOfCallsInHalfOpenState());
                    LOG.warn("{} circuit breaker opened: {}", which, reason);
                    open.add(server);
                    alerts.evolutionUnreachable(reason);
                }
                case HALF_OPEN -> LOG.info("{} circuit breaker half-open: trying {} calls", which,
                        config.getPermittedNumberOfCallsInHalfOpenState());
                case CLOSED -> {
                    LOG.info("{} circuit breaker closed: {} answers again", which, which);
                    open.remove(server);
                    if (open.isEmpty()) {
                        alerts.evolutionReachable();
                    }
                }
                default -> LOG.info("{} circuit breaker is now {}", which, event.getStateTransition().getToState());
            }
        });
    }
}
