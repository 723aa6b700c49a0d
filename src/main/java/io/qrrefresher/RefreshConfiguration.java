package io.qrrefresher;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ExecutorService;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.api.InstanceStatus;
import io.qrrefresher.api.OperatorsWall;
import io.qrrefresher.cluster.Replica;
import io.qrrefresher.config.Settings;
import io.qrrefresher.evolution.EvolutionCircuitBreaker;
import io.qrrefresher.evolution.EvolutionServers;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.metrics.QrMetrics;
import io.qrrefresher.refresh.RefreshControl;
import io.qrrefresher.refresh.Outcome;
import io.qrrefresher.refresh.RefreshDecisions;
import io.qrrefresher.refresh.RefreshRuns;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/**
 * The refresh runs (routes/refresh-qr-codes.yaml): the worker pool of the split, the persisted control (schedule,
 * concurrency, limit, pause) and the bookkeeping of runs.
 */
public final class RefreshConfiguration implements CamelConfiguration {

    @BindToRegistry("refreshPool")
    public ExecutorService refreshPool(Settings settings, CamelContext context) {
        return context.getExecutorServiceManager().newFixedThreadPool(this, "qr-refresh",
                settings.refresh().concurrency());
    }

    /**
     * Writes each instance's outcome once its Evolution calls are done (routes/refresh-qr-codes.yaml), off the workers
     * of {@code refreshPool}: a few threads are enough for short statements, and the database pool has room for them.
     */
    @BindToRegistry("refreshSavePool")
    public ExecutorService refreshSavePool(CamelContext context) {
        return context.getExecutorServiceManager().newFixedThreadPool(this, "qr-refresh-save", 8);
    }

    @BindToRegistry("refreshControl")
    public RefreshControl refreshControl(Settings settings, CamelContext context, QrMetrics metrics) {
        RefreshControl control = new RefreshControl(context, settings.refresh(), settings.database().poolSize() > 0);
        metrics.gauge("qr_refresher.refresh.paused", "1 while the scheduled refresh is paused on purpose", null,
                () -> control.isPaused() ? 1 : 0);
        return control;
    }

    /** The refresh of one instance (route refresh-instance): its steps and decisions. */
    @BindToRegistry("refreshDecisions")
    public RefreshDecisions refreshDecisions(EvolutionServers servers, QrContent qrContent, QrMetrics metrics,
                                             io.qrrefresher.evolution.EvolutionDiscovery discovery) {
        return new RefreshDecisions(qrContent, servers, metrics, discovery);
    }

    @BindToRegistry("refreshRuns")
    public RefreshRuns refreshRuns(Settings settings, AlertSignals alerts, CircuitBreakerRegistry breakers,
                                   EvolutionServers servers, RefreshControl control, QrMetrics metrics, Replica replica, ServiceMode mode,
                                   CamelContext context) {
        // a claimed instance waits for a free worker (at most one instance's time), then makes two calls
        Duration lease = Duration.ofMillis(4L * settings.evolution().timeoutMs()).plusSeconds(10);
        metrics.instanceOutcomes(java.util.Arrays.stream(Outcome.values()).map(Outcome::label).toList(),
                RefreshDecisions.FAILURE_REASONS);
        RefreshRuns runs = new RefreshRuns(settings.refresh(), settings.events().qrLifetime(), alerts,
                () -> EvolutionCircuitBreaker.evolutionState(breakers),
                server -> servers.of(server).map(on -> EvolutionCircuitBreaker.state(breakers, on.breakerName()))
                        .orElse(CircuitBreaker.State.CLOSED), control,
                metrics, replica, lease, mode.webhookToken().isPresent(), context);
        metrics.gauge("qr_refresher.webhooks.silent", "1 while connecting instances get no qrcode.updated webhook"
                + " (every instance is polled meanwhile)", null, () -> runs.isWebhooksSilent() ? 1 : 0);
        return runs;
    }

    /** The operators' wall (GET /wall, GET /wall/instances). */
    @BindToRegistry("instanceStatus")
    public InstanceStatus instanceStatus(Settings settings, CircuitBreakerRegistry breakers,
                                         io.qrrefresher.evolution.EvolutionServerInfo servers) {
        return new InstanceStatus(settings.alertCauses(),
                () -> EvolutionCircuitBreaker.evolutionState(breakers)
                        != CircuitBreaker.State.CLOSED, servers::commonVersion);
    }

    @BindToRegistry("operatorsWall")
    public OperatorsWall operatorsWall(Settings settings, CircuitBreakerRegistry breakers, RefreshControl control,
                                       EvolutionServers servers,
                                       io.qrrefresher.evolution.EvolutionServerInfo serverInfo) {
        return new OperatorsWall(
                () -> EvolutionCircuitBreaker.evolutionState(breakers).name(), serverInfo::cards,
                name -> servers.of(name).map(io.qrrefresher.config.Settings.EvolutionServer::name).orElse(name),
                control::isPaused, settings.events().maxQrImageBytes(), Clock.systemUTC());
    }
}
