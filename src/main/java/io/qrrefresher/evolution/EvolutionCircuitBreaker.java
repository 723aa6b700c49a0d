package io.qrrefresher.evolution;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.config.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resilience4j circuit breaker around every Evolution API call (route {@code call-evolution-api}). It is built
 * here rather than from route options so that its transitions raise and resolve the {@code evolution_api_unreachable}
 * alert. Resilience4j's defaults (a window of 100 calls) would never open it for a small fleet, hence explicit sizes.
 */
public final class EvolutionCircuitBreaker {

    public static final String NAME = "evolution-api";
    private static final Logger LOG = LoggerFactory.getLogger(EvolutionCircuitBreaker.class);

    private EvolutionCircuitBreaker() {
    }

    /** A registry holding the breaker {@value #NAME} (the registry is what resilience4j's metrics binder reads). */
    public static CircuitBreakerRegistry registry(Settings.CircuitBreaker settings, AlertSignals alerts) {
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(settings.windowSize())
                .minimumNumberOfCalls(Math.min(settings.minimumCalls(), settings.windowSize()))
                .failureRateThreshold(settings.failureRatePercent())
                .waitDurationInOpenState(settings.openDuration())
                .permittedNumberOfCallsInHalfOpenState(settings.halfOpenCalls())
                .writableStackTraceEnabled(false)
                .build();
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.of(config);
        CircuitBreaker breaker = registry.circuitBreaker(NAME);
        breaker.getEventPublisher().onStateTransition(event -> {
            switch (event.getStateTransition().getToState()) {
                case OPEN -> {
                    String reason = String.format(
                            "%.0f%% of the last %d calls failed; calls suspended for %s, then %d trial calls",
                            breaker.getMetrics().getFailureRate(), breaker.getMetrics().getNumberOfBufferedCalls(),
                            settings.openDuration(), settings.halfOpenCalls());
                    LOG.warn("Evolution API circuit breaker opened: {}", reason);
                    alerts.evolutionUnreachable(reason);
                }
                case HALF_OPEN -> LOG.info("Evolution API circuit breaker half-open: trying {} calls",
                        settings.halfOpenCalls());
                case CLOSED -> {
                    LOG.info("Evolution API circuit breaker closed: Evolution API answers again");
                    alerts.evolutionReachable();
                }
                default -> LOG.info("Evolution API circuit breaker is now {}", event.getStateTransition().getToState());
            }
        });
        return registry;
    }
}
