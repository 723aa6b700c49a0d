package io.qrrefresher;

import java.util.Arrays;
import java.util.List;
import java.util.function.BooleanSupplier;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.qrrefresher.alert.AlertDelivery;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.alert.Cause;
import io.qrrefresher.alert.StaleQrCheck;
import io.qrrefresher.alert.WaitingCauseGauges;
import io.qrrefresher.config.Settings;
import io.qrrefresher.evolution.EvolutionCircuitBreaker;
import io.qrrefresher.metrics.QrMetrics;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/**
 * Alerts (routes/check-qr-failures.yaml): raised from Java through the queue alert-signals, the stale-QR check, and the
 * delivery to ALERT_WEBHOOK_URL, whose scheme, host and port the route reads as {@code {{alert.webhook.origin}}}.
 */
public final class AlertsConfiguration implements CamelConfiguration {

    @BindToRegistry("alertSignals")
    public AlertSignals alertSignals(Settings settings, CamelContext context) {
        return new AlertSignals(context, settings.alerts(), settings.serviceName());
    }

    @BindToRegistry("staleQrCheck")
    public StaleQrCheck staleQrCheck(Settings settings, AlertSignals signals, CamelContext context, ServiceMode mode) {
        return new StaleQrCheck(settings.alerts(), settings.alertCauses(), signals, evolutionUnreachable(context),
                mode.webhookToken().isPresent(), servers(context));
    }

    @BindToRegistry("waitingCauseGauges")
    public WaitingCauseGauges waitingCauseGauges(QrMetrics metrics, CamelContext context) {
        WaitingCauseGauges gauges = new WaitingCauseGauges(evolutionUnreachable(context));
        gauges.register(metrics);
        return gauges;
    }

    /** The Evolution servers' names and versions (bound later, by EvolutionConfiguration). */
    static StaleQrCheck.Servers servers(CamelContext context) {
        return new StaleQrCheck.Servers() {
            @Override
            public boolean isFleet() {
                io.qrrefresher.evolution.EvolutionServers servers = evolutionServers(context);
                return servers != null && servers.isFleet();
            }

            @Override
            public String nameOf(String rowServer) {
                io.qrrefresher.evolution.EvolutionServers servers = evolutionServers(context);
                return servers == null ? rowServer : servers.of(rowServer)
                        .map(io.qrrefresher.config.Settings.EvolutionServer::name).orElse(rowServer);
            }

            @Override
            public java.util.Optional<String> versionOf(String server) {
                io.qrrefresher.evolution.EvolutionServerInfo info = context.getRegistry().lookupByNameAndType(
                        "evolutionServerInfo", io.qrrefresher.evolution.EvolutionServerInfo.class);
                if (info == null) {
                    return java.util.Optional.empty();
                }
                io.qrrefresher.evolution.EvolutionServerInfo.Reading reading = info.reading(server);
                return reading == null ? java.util.Optional.empty() : java.util.Optional.ofNullable(reading.version());
            }
        };
    }

    private static io.qrrefresher.evolution.EvolutionServers evolutionServers(CamelContext context) {
        return context.getRegistry().lookupByNameAndType("evolutionServers",
                io.qrrefresher.evolution.EvolutionServers.class);
    }

    /** Whether the breaker to Evolution is not closed (its registry is bound later, by EvolutionConfiguration). */
    private static BooleanSupplier evolutionUnreachable(CamelContext context) {
        return () -> EvolutionCircuitBreaker.evolutionState(
                context.getRegistry().findSingleByType(CircuitBreakerRegistry.class)) != CircuitBreaker.State.CLOSED;
    }

    @BindToRegistry("alertDelivery")
    public AlertDelivery alertDelivery(Settings settings, QrMetrics metrics, CamelContext context) {
        context.getPropertiesComponent().addOverrideProperty(Settings.Alerts.WEBHOOK_ORIGIN_KEY,
                settings.alerts().webhookOrigin());
        metrics.alertNames(Arrays.stream(Cause.values()).map(Cause::alert).distinct().toList());
        return new AlertDelivery(settings.alerts(), metrics);
    }
}
