package io.qrrefresher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

import io.qrrefresher.common.RouteContract;
import io.qrrefresher.common.RouteFailures;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.qrrefresher.alert.AlertDelivery;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.alert.StaleQrCheck;
import io.qrrefresher.api.AccessAnswers;
import io.qrrefresher.api.AdminAccess;
import io.qrrefresher.api.AdminAnswers;
import io.qrrefresher.cluster.ClusteredQuartz;
import io.qrrefresher.cluster.Replica;
import io.qrrefresher.config.Setting;
import io.qrrefresher.config.Settings;
import io.qrrefresher.db.Database;
import io.qrrefresher.db.LegacyJobs;
import io.qrrefresher.demo.DemoMode;
import io.qrrefresher.demo.EvolutionSimulator;
import io.qrrefresher.events.ListenerConnections;
import io.qrrefresher.events.ListenerErrors;
import io.qrrefresher.events.ListenerWatchdog;
import io.qrrefresher.events.QrEvents;
import io.qrrefresher.evolution.EvolutionCircuitBreaker;
import io.qrrefresher.evolution.EvolutionReplyReader;
import io.qrrefresher.evolution.EvolutionRequests;
import io.qrrefresher.ops.ApiHttpEngine;
import io.qrrefresher.ops.DatabaseProbe;
import io.qrrefresher.ops.EventLoopProbe;
import io.qrrefresher.ops.FleetGauges;
import io.qrrefresher.ops.HealthChecks;
import io.qrrefresher.ops.QrMetrics;
import io.qrrefresher.ops.RefreshControl;
import io.qrrefresher.refresh.InstanceRefresher;
import io.qrrefresher.refresh.RefreshDecisions;
import io.qrrefresher.refresh.RefreshRuns;
import io.qrrefresher.access.JwksKeys;
import io.qrrefresher.access.ViewerTokens;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.stream.QrStreams;
import io.qrrefresher.stream.StreamAccess;
import io.qrrefresher.webhook.WebhookAuth;
import io.qrrefresher.webhook.WebhookEvents;
import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Registry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares everything the routes need before Camel configures them: validated settings, the database (migrated),
 * the Evolution API simulator in demo mode, and the beans the YAML routes refer to by name. After the start it adds
 * what needs the running context: the live stream handler and the health checks.
 */
public final class ServiceBootstrap extends MainListenerSupport implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceBootstrap.class);

    private final Instant startedAt = Instant.now();
    private final Replica replica = Replica.ofThisProcess();
    private Settings settings;
    private Database database;
    private EvolutionSimulator simulator;
    private ListenerConnections listenerConnections;
    private ListenerWatchdog watchdog;
    private QrStreams qrStreams;
    private RefreshControl control;
    private RefreshRuns refreshRuns;
    private QrMetrics metrics;
    private QrContent qrContent;
    private final EventLoopProbe eventLoopProbe = new EventLoopProbe(Clock.systemUTC());
    private DatabaseProbe databaseProbe;
    private JwksKeys jwksKeys;
    private Path jolokiaUsers;

    @Override
    public void beforeConfigure(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        PropertiesComponent properties = context.getPropertiesComponent();
        settings = Settings.load(key -> properties.resolveProperty(key).orElse(null));

        database = Database.open(settings.database(), settings.refresh().concurrency(), replica.getId());
        database.migrate();
        LegacyJobs.warnIfActive(database.dataSource());
        ClusteredQuartz.install(context, database.dataSource());

        Optional<String> globalApiKey = settings.evolution().apiKey();
        Optional<String> adminToken = settings.adminToken();
        Optional<String> webhookToken = settings.events().webhookToken();
        Optional<String> viewerSecret = settings.stream().viewerTokenSecret();
        URI evolutionBaseUrl;
        if (settings.isDemo()) {
            webhookToken = webhookToken.or(() -> Optional.of(DemoMode.WEBHOOK_TOKEN));
            startDemo(webhookToken.get());
            evolutionBaseUrl = simulator.baseUrl();
            globalApiKey = Optional.of(DemoMode.EVOLUTION_API_KEY);
            adminToken = adminToken.or(() -> Optional.of(DemoMode.ADMIN_TOKEN));
            viewerSecret = viewerSecret.or(() -> Optional.of(DemoMode.VIEWER_TOKEN_SECRET));
        } else {
            evolutionBaseUrl = settings.evolution().baseUrl().orElseThrow();
        }
        // the route calls {{evolution.api.base-url}}: the validated URL (the simulator's in demo mode), no trailing /
        String baseUrl = evolutionBaseUrl.toString();
        properties.addOverrideProperty(Setting.EVOLUTION_API_BASE_URL.key(),
                baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl);
        logConfiguration(evolutionBaseUrl, adminToken.isPresent(), webhookToken.isPresent());
        protectJolokia(properties);

        Registry registry = context.getRegistry();
        registry.bind("apiHttpEngine", new ApiHttpEngine(settings.httpPort()));
        PrometheusMeterRegistry meterRegistry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.bind(MicrometerConstants.METRICS_REGISTRY_NAME, meterRegistry);
        metrics = new QrMetrics(meterRegistry);
        new FleetGauges(database.dataSource()).register(metrics);

        AlertSignals alertSignals = new AlertSignals(context, settings.alerts(), settings.serviceName());
        settings.evolution().circuit().routeProperties().forEach(properties::addOverrideProperty);
        properties.addOverrideProperty(Settings.Alerts.WEBHOOK_ORIGIN_KEY, settings.alerts().webhookOrigin());
        CircuitBreakerRegistry breakers = EvolutionCircuitBreaker.registry(RouteContract.EVOLUTION_CIRCUIT_BREAKER, alertSignals);
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meterRegistry);
        ExecutorService refreshPool = context.getExecutorServiceManager()
                .newFixedThreadPool(this, "qr-refresh", settings.refresh().concurrency());
        control = new RefreshControl(context, settings.refresh(), settings.database().poolSize() > 0);
        // a claimed instance waits for a free worker (at most one instance's time), then makes two calls
        Duration lease = Duration.ofMillis(4L * settings.evolution().timeoutMs()).plusSeconds(10);
        refreshRuns = new RefreshRuns(settings.refresh(), settings.events().qrLifetime(), alertSignals,
                () -> EvolutionCircuitBreaker.state(breakers, RouteContract.EVOLUTION_CIRCUIT_BREAKER), control, metrics, replica, lease);

        registry.bind("dataSource", database.dataSource());
        registry.bind("refreshPool", refreshPool);
        registry.bind("evolutionCircuitBreakers", breakers);
        registry.bind("evolutionRequests", new EvolutionRequests());
        registry.bind("evolutionReplyReader", new EvolutionReplyReader(settings.evolution().maxReplyBytes(), metrics));
        qrContent = new QrContent(settings.events().maxQrImageBytes());
        registry.bind("instanceRefresher", new InstanceRefresher(globalApiKey, new RefreshDecisions(qrContent),
                metrics));
        registry.bind("refreshRuns", refreshRuns);
        registry.bind("refreshControl", control);
        registry.bind("alertSignals", alertSignals);
        registry.bind("staleQrCheck", new StaleQrCheck(settings.alerts(), alertSignals));
        registry.bind("alertDelivery", new AlertDelivery(settings.alerts(), metrics));
        registry.bind("adminAccess", new AdminAccess(adminToken));
        registry.bind("adminAnswers", new AdminAnswers());
        registry.bind("routeFailures", new RouteFailures(Clock.systemUTC()));
        bindPushBeans(context, adminToken, webhookToken, viewerSecret, alertSignals);
    }

    private void bindPushBeans(CamelContext context, Optional<String> adminToken, Optional<String> webhookToken,
                               Optional<String> viewerSecret, AlertSignals alertSignals) {
        Settings.Events events = settings.events();
        listenerConnections = new ListenerConnections(database.sessionUrl(), replica.getId());
        watchdog = new ListenerWatchdog(context, listenerConnections, Duration.ofMillis(events.heartbeatMillis()),
                metrics, Clock.systemUTC());
        ViewerTokens viewerTokens = new ViewerTokens(viewerSecret, settings.stream().viewerTokenTtl());
        Optional<JwksKeys> jwks = settings.stream().viewerJwksUrl().map(url -> new JwksKeys(url, Clock.systemUTC()));
        jwks.ifPresent(JwksKeys::start);
        jwksKeys = jwks.orElse(null);
        qrStreams = new QrStreams(settings.stream(), events.streamHeartbeatMillis(),
                new StreamAccess(settings.stream(), viewerTokens, adminToken, jwks), metrics, Clock.systemUTC());
        metrics.gauge("qr_refresher.stream.clients", "Live QR stream connections", null, qrStreams::clients);
        metrics.gauge("qr_refresher.stream.pending", "Live QR stream openings being authorised", null,
                qrStreams::pending);
        Registry registry = context.getRegistry();
        registry.bind("listenerConnections", listenerConnections);
        registry.bind("listenerWatchdog", watchdog);
        registry.bind("listenerErrors", new ListenerErrors());
        registry.bind("qrEvents", new QrEvents(watchdog));
        registry.bind("qrStreams", qrStreams);
        registry.bind("viewerTokens", viewerTokens);
        registry.bind("qrContent", qrContent);
        WebhookAuth webhookAuth = new WebhookAuth(webhookToken, Clock.systemUTC());
        registry.bind("webhookAuth", webhookAuth);
        registry.bind("accessAnswers", new AccessAnswers(viewerTokens, webhookAuth));
        registry.bind("webhookEvents", new WebhookEvents(events.qrLifetime(), qrContent, alertSignals, metrics,
                Clock.systemUTC()));
    }

    /** The routes are loaded: they must define what the beans refer to by name. */
    @Override
    public void afterConfigure(BaseMainSupport main) {
        RouteContract.check(main.getCamelContext());
    }

    @Override
    public void afterStart(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        // runs left 'running' by a replica that stopped mid-run (this one's previous life, say)
        context.createFluentProducerTemplate().to(RouteContract.MARK_INTERRUPTED_RUNS).send();
        qrStreams.install(context, settings.httpPort());
        eventLoopProbe.start(qrStreams.vertx());
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        if (registry != null) {
            databaseProbe = new DatabaseProbe(database.dataSource(), Clock.systemUTC());
            databaseProbe.start();
            registry.register(HealthChecks.database(databaseProbe));
            registry.register(HealthChecks.evolutionCircuit(context.getRegistry()
                    .findSingleByType(CircuitBreakerRegistry.class).find(RouteContract.EVOLUTION_CIRCUIT_BREAKER).orElseThrow()));
            registry.register(HealthChecks.lastSuccessfulRun(refreshRuns::lastSuccess, () -> control.current().getCron(),
                    control::isPaused, startedAt, Clock.systemUTC()));
            registry.register(HealthChecks.qrEventsListener(watchdog::lastHeartbeat, () -> (long) watchdog.rebuilds(),
                    watchdog::isListening));
            registry.register(HealthChecks.processResponsive(eventLoopProbe, refreshRuns::runWithoutProgress,
                    refreshRuns.instanceBound(), Clock.systemUTC()));
        }
    }

    @Override
    public void afterStop(BaseMainSupport main) {
        close();
    }

    public Settings settings() {
        return settings;
    }

    public Database database() {
        return database;
    }

    public ListenerWatchdog listenerWatchdog() {
        return watchdog;
    }

    public ListenerConnections listenerConnections() {
        return listenerConnections;
    }

    public QrStreams qrStreams() {
        return qrStreams;
    }

    public RefreshControl refreshControl() {
        return control;
    }

    /** The simulator of demo mode, or null. */
    public EvolutionSimulator simulator() {
        return simulator;
    }

    @Override
    public void close() {
        eventLoopProbe.close();
        if (databaseProbe != null) {
            databaseProbe.close();
        }
        if (jwksKeys != null) {
            jwksKeys.close();
        }
        if (simulator != null) {
            simulator.close();
            simulator = null;
        }
        if (listenerConnections != null) {
            listenerConnections.closeAll();
        }
        if (database != null) {
            database.close();
            database = null;
        }
        if (jolokiaUsers != null) {
            try {
                Files.deleteIfExists(jolokiaUsers);
            } catch (IOException e) {
                LOG.debug("Could not delete {}: {}", jolokiaUsers, e.getMessage());
            }
        }
    }

    /**
     * Jolokia can stop routes and read every MBean: when it is on, its path requires the Basic credentials of
     * JOLOKIA_USER / JOLOKIA_PASSWORD, written to a file only this user can read (Vert.x's property-file format).
     */
    private void protectJolokia(PropertiesComponent properties) {
        Settings.Management management = settings.management();
        if (!management.jolokiaEnabled()) {
            return;
        }
        try {
            jolokiaUsers = Files.createTempFile("qr-refresher-jolokia-", ".properties",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(jolokiaUsers, "user." + management.jolokiaUser().orElseThrow() + " = "
                    + management.jolokiaPassword().orElseThrow() + ",jolokia\nrole.jolokia = *\n",
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot write the Jolokia credentials file: " + e.getMessage(), e);
        }
        properties.addOverrideProperty("camel.management.authentication-enabled", "true");
        properties.addOverrideProperty("camel.management.authentication-path", "/observe/jolokia/*");
        properties.addOverrideProperty("camel.management.basic-properties-file", jolokiaUsers.toString());
        LOG.info("Jolokia enabled at :{}/observe/jolokia, Basic authentication required", management.port());
    }

    private void startDemo(String webhookToken) {
        try {
            simulator = DemoMode.startSimulator(URI.create("http://127.0.0.1:" + settings.httpPort()
                    + "/webhooks/evolution?token=" + webhookToken));
            DemoMode.seed(database.dataSource());
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start demo mode: " + e.getMessage(), e);
        }
        LOG.warn("*** DEMO MODE *** neither DATABASE_URL nor EVOLUTION_API_BASE_URL is set: using embedded PostgreSQL "
                + "({}) and the built-in Evolution API simulator at {} (pushing webhooks) with 3 demo instances. "
                + "Demo credentials for the admin API: {}. Set DATABASE_URL and EVOLUTION_API_BASE_URL for real use.",
                database.url().redacted(), simulator.baseUrl(),
                settings.adminToken().isPresent() ? "your ADMIN_TOKEN" : DemoMode.ADMIN_TOKEN);
    }

    private void logConfiguration(URI evolutionBaseUrl, boolean adminEnabled, boolean webhooksEnabled) {
        Settings.Refresh refresh = settings.refresh();
        LOG.info("Replica {}", replica);
        LOG.info("Database: {}{}", database.url(), database.isEmbedded()
                ? " (embedded, data in " + settings.database().embeddedDataDir().toAbsolutePath() + ")" : "");
        LOG.info("Evolution API: {} (timeout {} ms)", evolutionBaseUrl, settings.evolution().timeoutMs());
        LOG.info("Refresh: cron '{}', concurrency {}, limit {}, minimum QR age {}", refresh.cron(),
                refresh.concurrency(), refresh.limit() == 0 ? "none" : refresh.limit(), refresh.minAge());
        LOG.info("Failure check: cron '{}', stale after {}, alerts to {}", settings.alerts().failureCheckCron(),
                settings.alerts().staleAfter(), settings.alerts().webhookUrl()
                        .map(url -> url.getScheme() + "://" + url.getAuthority() + "/... (" + settings.alerts()
                                .webhookFormat() + (settings.alerts().webhookSecret().isPresent() ? ", signed)" : ")"))
                        .orElse("the log only (ALERT_WEBHOOK_URL not set)"));
        LOG.info("HTTP API on :{}, health and metrics on :{}/observe", settings.httpPort(),
                settings.management().port());
        if (!webhooksEnabled) {
            LOG.warn("EVOLUTION_WEBHOOK_TOKEN is not set: POST /webhooks/evolution answers 403 and QR codes are only "
                    + "polled (stored QR current about a third of the time with a one-minute schedule)");
        }
        if (!adminEnabled) {
            LOG.warn("ADMIN_TOKEN is not set: the admin endpoints (POST /refresh-qr-codes, GET /refresh-runs, "
                    + "/refresh-control) answer 403 until it is");
        }
    }
}
