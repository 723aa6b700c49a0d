package io.qrrefresher;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.qrrefresher.common.RouteContract;
import io.qrrefresher.access.ViewerTokens;
import io.qrrefresher.config.Settings;
import io.qrrefresher.db.Database;
import io.qrrefresher.demo.DemoPage;
import io.qrrefresher.events.ListenerWatchdog;
import io.qrrefresher.ops.DatabaseProbe;
import io.qrrefresher.ops.EventLoopProbe;
import io.qrrefresher.ops.JolokiaGuard;
import io.qrrefresher.ops.HealthChecks;
import io.qrrefresher.refresh.RefreshControl;
import io.qrrefresher.refresh.RefreshRuns;
import io.qrrefresher.stream.QrRenewals;
import io.qrrefresher.stream.QrStreams;
import io.qrrefresher.stream.WidgetScript;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;

/**
 * The service's configuration classes, in the order their beans depend on each other, and what happens around the
 * start and stop of Camel: once started, runs left 'running' are marked interrupted, the live stream is installed on
 * Camel's HTTP server and the health checks are registered; at the stop (or a failed start) everything the
 * configurations opened is closed.
 */
public final class ServiceLifecycle extends MainListenerSupport implements AutoCloseable {

    /** Written before Camel Main's management server starts, deleted once it has read them. */
    private JolokiaCredentials jolokiaCredentials;
    private volatile boolean started;

    private final Instant startedAt = Instant.now();
    private final OpenResources resources = new OpenResources();
    private final java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);

    /**
     * The configuration classes, each binding the beans of one concern (see each class). A bean method's parameters are
     * beans of the classes before it; within one class, Camel orders its methods only one level deep, so a bean may
     * use another of its own class only when that one uses none.
     */
    public List<CamelConfiguration> configurations() {
        return List.of(
                new ServiceConfiguration(),
                new DatabaseConfiguration(resources),
                new ModeConfiguration(resources),
                new ManagementConfiguration(resources),
                new AlertsConfiguration(),
                new EvolutionConfiguration(),
                new RefreshConfiguration(),
                new AccessConfiguration(resources),
                new ListenerConfiguration(resources),
                new LiveConfiguration(),
                new LinkConfiguration());
    }

    /**
     * Jolokia's credentials, before Camel Main sets up its management server (which it does before it loads the
     * configuration classes). Camel's test Main calls listeners without a context and runs no management server.
     */
    @Override
    public void beforeConfigure(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        if (context != null) {
            PropertiesComponent properties = context.getPropertiesComponent();
            // the same check ServiceConfiguration makes: a bad value stops the start here with the same line
            Settings settings = Settings.load(key -> properties.resolveProperty(key).orElse(null));
            jolokiaCredentials = resources.add(JolokiaCredentials.protect(settings.management(), properties));
        }
    }

    /**
     * Camel's management server only logs a port it cannot open and goes on: a service that runs without health or
     * metrics (never ready to an orchestrator, invisible to Prometheus) must rather stop, in one line.
     */
    static void requireManagementPort(CamelContext context, int port) {
        org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter router =
                org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter.lookup(context,
                        org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter
                                .getRouterNameFromPort(port));
        io.vertx.core.http.HttpServer server = router == null || router.getServer() == null ? null
                : router.getServer().getServer();
        boolean listening = server != null && server.actualPort() > 0
                && (!(server instanceof io.vertx.core.net.impl.TCPServerBase base) || base.isListening());
        if (!listening) {
            throw new io.qrrefresher.config.InvalidSettingException(io.qrrefresher.config.Setting.MANAGEMENT_PORT,
                    "port " + port + " cannot be opened (another process holds it, or MANAGEMENT_BIND is not an"
                    + " address of this machine): health and metrics would be unreachable");
        }
    }

    private volatile Throwable startFailure;

    /**
     * What made the start fail after Camel had started (a port that cannot be opened, a database that refused the
     * first statements): Camel Main only logs such a failure and returns, with Quartz's threads still running.
     */
    public Throwable startFailure() {
        return startFailure;
    }

    @Override
    public void afterStart(BaseMainSupport main) {
        try {
            completeStart(main);
        } catch (RuntimeException | Error e) {
            startFailure = e;
            throw e;
        }
    }

    private void completeStart(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        Registry beans = context.getRegistry();
        Settings settings = beans.findSingleByType(Settings.class);
        RefreshRuns refreshRuns = beans.findSingleByType(RefreshRuns.class);
        RefreshControl control = beans.findSingleByType(RefreshControl.class);
        ListenerWatchdog watchdog = beans.findSingleByType(ListenerWatchdog.class);
        QrStreams qrStreams = beans.findSingleByType(QrStreams.class);

        requireManagementPort(context, settings.management().port());
        // the management port's own 404 and 405 in JSON too (with the methods a path takes), as the public port's
        org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter management =
                org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter.lookup(context,
                        org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter
                                .getRouterNameFromPort(settings.management().port()));
        io.qrrefresher.edge.EdgeGate.answerUnmatchedInJson(management);
        // the management server read the Jolokia credentials when it started: no password stays on disk
        if (jolokiaCredentials != null) {
            jolokiaCredentials.close();
        }
        if (settings.management().jolokiaEnabled()) {
            new JolokiaGuard(settings.management().jolokiaUser().orElseThrow(),
                    settings.management().jolokiaPassword().orElseThrow())
                    .install(context, settings.management().port());
        }
        // runs left 'running' by a replica that stopped mid-run (this one's previous life, say)
        context.createFluentProducerTemplate().to(RouteContract.MARK_INTERRUPTED_RUNS).send();
        qrStreams.install(context, settings.httpPort());
        beans.findSingleByType(QrRenewals.class).install(context, settings.httpPort());
        WidgetScript widget = beans.findSingleByType(WidgetScript.class);
        widget.install(context, settings.httpPort());
        if (beans.findSingleByType(ServiceMode.class).demo()) {
            new DemoPage(beans.findSingleByType(ViewerTokens.class), beans.findSingleByType(Database.class)
                    .dataSource(), widget.version(), settings.management().port(), Clock.systemUTC())
                    .install(context, settings.httpPort());
        }
        // these are served by Vert.x handlers, not routes: Camel's startup list of routes does not show them
        org.slf4j.LoggerFactory.getLogger(ServiceLifecycle.class).info("Also on :{}: GET /instances/{name}/qr/stream"
                + " (live QR, SSE), POST /instances/{name}/qr/renew, POST /instances/{name}/qr/pairing-code,"
                + " GET /widget/whatsapp-qr.js{}", settings.httpPort(),
                beans.findSingleByType(ServiceMode.class).demo() ? ", GET / (demo page)" : "");
        EventLoopProbe eventLoopProbe = resources.add(new EventLoopProbe(Clock.systemUTC()));
        eventLoopProbe.start(qrStreams.vertx());
        HealthCheckRegistry health = HealthCheckRegistry.get(context);
        if (health != null) {
            DatabaseProbe databaseProbe = resources.add(new DatabaseProbe(
                    beans.findSingleByType(Database.class).dataSource(), Clock.systemUTC(),
                    beans.findSingleByType(io.qrrefresher.db.DatabaseOutage.class)));
            databaseProbe.start();
            health.register(HealthChecks.database(databaseProbe));
            beans.findSingleByType(io.qrrefresher.metrics.QrMetrics.class).gauge("qr_refresher.database.up",
                    "1 while PostgreSQL answers this replica (a pooled connection checked every second)", null,
                    () -> databaseProbe.status().up() ? 1 : 0);
            CircuitBreakerRegistry breakers = beans.findSingleByType(CircuitBreakerRegistry.class);
            for (io.qrrefresher.config.Settings.EvolutionServer server
                    : beans.findSingleByType(io.qrrefresher.evolution.EvolutionServers.class).all()) {
                health.register(HealthChecks.evolutionCircuit(server.name(), breakers.find(server.breakerName())
                        .orElseThrow(() -> new IllegalStateException("the route " + server.routeId() + " created no"
                                + " circuit breaker named " + server.breakerName() + " (there are: "
                                + breakers.getAllCircuitBreakers().stream().map(b -> b.getName()).toList() + ")"))));
            }
            health.register(HealthChecks.lastSuccessfulRun(refreshRuns::lastSuccess,
                    () -> control.current().getCron(), control::isPaused, startedAt, Clock.systemUTC()));
            health.register(HealthChecks.refreshSchedule(control::isPaused, () -> String.valueOf(
                    context.getRouteController().getRouteStatus(RouteContract.REFRESH_SCHEDULE_ROUTE)),
                    refreshRuns::webhookCoverage));
            health.register(HealthChecks.qrEventsListener(watchdog::lastHeartbeat, () -> (long) watchdog.rebuilds(),
                    watchdog::isListening));
            health.register(HealthChecks.processResponsive(eventLoopProbe, refreshRuns::runWithoutProgress,
                    refreshRuns.instanceBound(), Clock.systemUTC()));
            // only the routes that serve requests (HTTP, and the direct routes they call) decide readiness; those
            // that work in the background get one informational check (the scheduled refresh has refresh-schedule)
            List<String> background = backgroundRoutes(context);
            String excluded = health.getExcludePattern();
            health.setExcludePattern((excluded == null || excluded.isBlank() ? "" : excluded + ",")
                    + String.join(",", background));
            health.register(HealthChecks.backgroundRoutes(() -> {
                Map<String, String> statuses = new java.util.LinkedHashMap<>();
                background.stream().filter(id -> !id.equals(RouteContract.REFRESH_SCHEDULE_ROUTE)).forEach(id ->
                        statuses.put(id, String.valueOf(context.getRouteController().getRouteStatus(id))));
                return statuses;
            }));
        }
        started = true;
    }

    /** The routes whose consumer is a timer, a schedule, a queue or LISTEN: nobody waits on them for an answer. */
    static List<String> backgroundRoutes(CamelContext context) {
        return context.getRoutes().stream()
                .filter(route -> BACKGROUND_SCHEMES.contains(route.getEndpoint().getEndpointUri().split(":", 2)[0]))
                .map(org.apache.camel.Route::getRouteId).sorted().toList();
    }

    static final java.util.Set<String> BACKGROUND_SCHEMES = java.util.Set.of("timer", "quartz", "quartz-cluster",
            "scheduler", "seda", "pgevent");

    /** Whether everything the service adds after Camel's start (HTTP handlers, probes, checks) is in place. */
    public boolean isStarted() {
        return started;
    }

    @Override
    public void afterStop(BaseMainSupport main) {
        close();
    }

    @Override
    public void close() {
        resources.close();
        closed.countDown();
    }

    /**
     * For the JVM's shutdown (SIGTERM): waits until the service closed what it opened, after Camel stopped (the
     * embedded database last), and closes it itself after {@code timeout}. Without it the JVM could end with Camel's
     * own shutdown hook, before the embedded PostgreSQL was stopped, leaving it running.
     */
    public void awaitClosed(java.time.Duration timeout) {
        try {
            if (!closed.await(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
                close();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
        }
    }
}
