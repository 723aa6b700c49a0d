package io.qrrefresher;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.qrrefresher.alert.AlertDelivery;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.alert.StaleQrCheck;
import io.qrrefresher.api.AdminAccess;
import io.qrrefresher.api.AdminAnswers;
import io.qrrefresher.config.Settings;
import io.qrrefresher.db.Database;
import io.qrrefresher.demo.DemoMode;
import io.qrrefresher.demo.EvolutionSimulator;
import io.qrrefresher.evolution.EvolutionCircuitBreaker;
import io.qrrefresher.evolution.EvolutionReplyReader;
import io.qrrefresher.evolution.EvolutionRequests;
import io.qrrefresher.events.ListenerConnections;
import io.qrrefresher.events.ListenerErrors;
import io.qrrefresher.events.ListenerHealthCheck;
import io.qrrefresher.events.ListenerWatchdog;
import io.qrrefresher.events.QrEvents;
import io.qrrefresher.stream.QrStreams;
import io.qrrefresher.webhook.WebhookAuth;
import io.qrrefresher.webhook.WebhookEvents;
import io.qrrefresher.refresh.InstanceRefresher;
import io.qrrefresher.refresh.RefreshRuns;
import org.apache.camel.CamelContext;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prepares everything the routes need before Camel configures them: validated settings, the database (migrated),
 * the Evolution API simulator in demo mode, and the beans the YAML routes refer to by name.
 */
public final class ServiceBootstrap extends MainListenerSupport implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServiceBootstrap.class);

    private Settings settings;
    private Database database;
    private EvolutionSimulator simulator;
    private ListenerConnections listenerConnections;
    private ListenerWatchdog watchdog;
    private QrStreams qrStreams;

    @Override
    public void beforeConfigure(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        PropertiesComponent properties = context.getPropertiesComponent();
        settings = Settings.load(key -> properties.resolveProperty(key).orElse(null));

        database = Database.open(settings.database(), settings.refresh().concurrency());
        database.migrate();
        markInterruptedRuns();

        URI evolutionBaseUrl;
        Optional<String> globalApiKey = settings.evolution().apiKey();
        Optional<String> adminToken = settings.adminToken();
        Optional<String> webhookToken = settings.events().webhookToken();
        if (settings.isDemo()) {
            webhookToken = webhookToken.or(() -> Optional.of(DemoMode.WEBHOOK_TOKEN));
            startDemo(webhookToken.get());
            evolutionBaseUrl = simulator.baseUrl();
            globalApiKey = Optional.of(DemoMode.EVOLUTION_API_KEY);
            adminToken = adminToken.or(() -> Optional.of(DemoMode.ADMIN_TOKEN));
        } else {
            evolutionBaseUrl = settings.evolution().baseUrl().orElseThrow();
        }
        logConfiguration(evolutionBaseUrl, adminToken.isPresent(), webhookToken.isPresent());

        AlertSignals alertSignals = new AlertSignals(context, settings.alerts(), settings.serviceName());
        CircuitBreaker circuitBreaker = EvolutionCircuitBreaker.create(settings.evolution().circuit(), alertSignals);
        ExecutorService refreshPool = context.getExecutorServiceManager()
                .newFixedThreadPool(this, "qr-refresh", settings.refresh().concurrency());

        context.getRegistry().bind("dataSource", database.dataSource());
        context.getRegistry().bind("refreshPool", refreshPool);
        context.getRegistry().bind("evolutionCircuitBreaker", circuitBreaker);
        context.getRegistry().bind("evolutionRequests", new EvolutionRequests(evolutionBaseUrl));
        context.getRegistry().bind("evolutionReplyReader", new EvolutionReplyReader(settings.evolution().maxReplyBytes()));
        context.getRegistry().bind("instanceRefresher", new InstanceRefresher(globalApiKey));
        context.getRegistry().bind("refreshRuns", new RefreshRuns(settings.refresh(), settings.events().qrLifetime(), alertSignals, circuitBreaker));
        context.getRegistry().bind("alertSignals", alertSignals);
        context.getRegistry().bind("staleQrCheck", new StaleQrCheck(settings.alerts(), alertSignals));
        context.getRegistry().bind("alertDelivery", new AlertDelivery(settings.alerts()));
        context.getRegistry().bind("adminAccess", new AdminAccess(adminToken));
        context.getRegistry().bind("adminAnswers", new AdminAnswers());

        Settings.Events events = settings.events();
        ListenerConnections listenerConnections = new ListenerConnections(database.url());
        watchdog = new ListenerWatchdog(context, listenerConnections,
                Duration.ofMillis(events.heartbeatMillis()), Clock.systemUTC());
        qrStreams = new QrStreams(events, adminToken);
        context.getRegistry().bind("listenerConnections", listenerConnections);
        context.getRegistry().bind("listenerWatchdog", watchdog);
        context.getRegistry().bind("listenerErrors", new ListenerErrors());
        context.getRegistry().bind("qrEvents", new QrEvents(watchdog));
        context.getRegistry().bind("qrStreams", qrStreams);
        context.getRegistry().bind("webhookAuth", new WebhookAuth(webhookToken, Clock.systemUTC()));
        context.getRegistry().bind("webhookEvents", new WebhookEvents(events.qrLifetime(), alertSignals,
                Clock.systemUTC()));
        this.listenerConnections = listenerConnections;
    }

    @Override
    public void afterStart(BaseMainSupport main) {
        CamelContext context = main.getCamelContext();
        qrStreams.install(context, settings.httpPort());
        HealthCheckRegistry registry = HealthCheckRegistry.get(context);
        if (registry != null) {
            registry.register(new ListenerHealthCheck(watchdog));
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

    /** The simulator of demo mode, or null. */
    public EvolutionSimulator simulator() {
        return simulator;
    }

    @Override
    public void close() {
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
                + "({}) and the built-in Evolution API simulator at {} (pushing webhooks) with 3 demo instances. Admin token: '{}'. "
                + "Set DATABASE_URL and EVOLUTION_API_BASE_URL for real use.",
                database.url().redacted(), simulator.baseUrl(),
                settings.adminToken().isPresent() ? "(ADMIN_TOKEN)" : DemoMode.ADMIN_TOKEN);
    }

    private void logConfiguration(URI evolutionBaseUrl, boolean adminEnabled, boolean webhooksEnabled) {
        Settings.Refresh refresh = settings.refresh();
        LOG.info("Database: {}{}", database.url(), database.isEmbedded()
                ? " (embedded, data in " + settings.database().embeddedDataDir().toAbsolutePath() + ")" : "");
        LOG.info("Evolution API: {} (timeout {} ms)", evolutionBaseUrl, settings.evolution().timeoutMs());
        LOG.info("Refresh: cron '{}', concurrency {}, limit {}, minimum QR age {}", refresh.cron(),
                refresh.concurrency(), refresh.limit() == 0 ? "none" : refresh.limit(), refresh.minAge());
        LOG.info("Failure check: cron '{}', stale after {}, alerts to {}", settings.alerts().failureCheckCron(),
                settings.alerts().staleAfter(), settings.alerts().webhookUrl()
                        .map(url -> url.getScheme() + "://" + url.getAuthority() + "/..."
                                + (settings.alerts().webhookSecret().isPresent() ? " (signed)" : ""))
                        .orElse("the log only (ALERT_WEBHOOK_URL not set)"));
        if (!webhooksEnabled) {
            LOG.warn("EVOLUTION_WEBHOOK_TOKEN is not set: POST /webhooks/evolution answers 403 and QR codes are only "
                    + "polled (stored QR current about a third of the time with a one-minute schedule)");
        }
        if (!adminEnabled) {
            LOG.warn("ADMIN_TOKEN is not set: the admin endpoints (POST /refresh-qr-codes, GET /refresh-runs) "
                    + "answer 403 until it is");
        }
    }

    /** Runs left 'running' by a process that stopped mid-run. */
    private void markInterruptedRuns() {
        try (Connection connection = database.dataSource().getConnection();
             Statement statement = connection.createStatement()) {
            int rows = statement.executeUpdate("UPDATE qr_refresher.refresh_runs SET status = 'interrupted',"
                    + " ended_at = now(), message = 'the service stopped during this run' WHERE status = 'running'");
            if (rows > 0) {
                LOG.warn("{} refresh runs were interrupted by the last shutdown", rows);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot update the run history: " + e.getMessage(), e);
        }
    }
}
