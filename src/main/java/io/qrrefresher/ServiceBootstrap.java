package io.qrrefresher;

import java.net.URI;
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
import io.qrrefresher.refresh.InstanceRefresher;
import io.qrrefresher.refresh.RefreshRuns;
import org.apache.camel.CamelContext;
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
        if (settings.isDemo()) {
            startDemo();
            evolutionBaseUrl = simulator.baseUrl();
            globalApiKey = Optional.of(DemoMode.EVOLUTION_API_KEY);
            adminToken = adminToken.or(() -> Optional.of(DemoMode.ADMIN_TOKEN));
        } else {
            evolutionBaseUrl = settings.evolution().baseUrl().orElseThrow();
        }
        logConfiguration(evolutionBaseUrl, adminToken.isPresent());

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
        context.getRegistry().bind("refreshRuns", new RefreshRuns(settings.refresh(), alertSignals, circuitBreaker));
        context.getRegistry().bind("alertSignals", alertSignals);
        context.getRegistry().bind("staleQrCheck", new StaleQrCheck(settings.alerts(), alertSignals));
        context.getRegistry().bind("alertDelivery", new AlertDelivery(settings.alerts()));
        context.getRegistry().bind("adminAccess", new AdminAccess(adminToken));
        context.getRegistry().bind("adminAnswers", new AdminAnswers());
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
        if (database != null) {
            database.close();
            database = null;
        }
    }

    private void startDemo() {
        try {
            simulator = DemoMode.startSimulator();
            DemoMode.seed(database.dataSource());
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start demo mode: " + e.getMessage(), e);
        }
        LOG.warn("*** DEMO MODE *** neither DATABASE_URL nor EVOLUTION_API_BASE_URL is set: using embedded PostgreSQL "
                + "({}) and the built-in Evolution API simulator at {} with 3 demo instances. Admin token: '{}'. "
                + "Set DATABASE_URL and EVOLUTION_API_BASE_URL for real use.",
                database.url().redacted(), simulator.baseUrl(),
                settings.adminToken().isPresent() ? "(ADMIN_TOKEN)" : DemoMode.ADMIN_TOKEN);
    }

    private void logConfiguration(URI evolutionBaseUrl, boolean adminEnabled) {
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
