package io.qrrefresher;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.common.RouteContract;
import io.qrrefresher.config.Settings;
import io.qrrefresher.evolution.EvolutionCircuitBreaker;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.metrics.QrMetrics;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/**
 * The Evolution API client of the route call-evolution-api: the request, the bounded reader of the answer, the check
 * of a QR's content, the decisions taken on each answer, and the registry in which Camel creates the circuit breaker
 * the route declares (its settings, {@code {{evolution.circuit.*}}}, in the units Camel takes).
 */
public final class EvolutionConfiguration implements CamelConfiguration {

    /** Camel's resilience4j finds this registry by type; its metrics and alerts follow the breaker created in it. */
    @BindToRegistry("evolutionCircuitBreakers")
    public CircuitBreakerRegistry circuitBreakers(Settings settings, AlertSignals alerts,
                                                  PrometheusMeterRegistry meterRegistry, CamelContext context) {
        settings.evolution().circuit().routeProperties()
                .forEach(context.getPropertiesComponent()::addOverrideProperty);
        CircuitBreakerRegistry breakers = EvolutionCircuitBreaker.registry(RouteContract.EVOLUTION_CIRCUIT_BREAKER,
                alerts);
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meterRegistry);
        return breakers;
    }

    @BindToRegistry("evolutionClient")
    public EvolutionCall.Client evolutionClient(Settings settings, QrMetrics metrics) {
        return new EvolutionCall.Client(settings.evolution().maxReplyBytes(), metrics);
    }

    @BindToRegistry("qrContent")
    public QrContent qrContent(Settings settings) {
        return new QrContent();
    }
}
