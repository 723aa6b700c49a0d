package io.qrrefresher;

import java.net.URI;
import java.util.List;
import java.util.Optional;

import io.qrrefresher.cluster.Replica;
import io.qrrefresher.config.Settings;
import io.qrrefresher.db.Database;
import io.qrrefresher.demo.DemoMode;
import io.qrrefresher.demo.EvolutionSimulator;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real or demo mode ({@link ServiceMode}); in demo mode it starts the Evolution API simulator and seeds the demo rows.
 * Its Evolution servers (the simulator's in demo mode) each get a route of the template evolution-server
 * (EvolutionConfiguration).
 */
public final class ModeConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(ModeConfiguration.class);

    private final OpenResources resources;

    public ModeConfiguration(OpenResources resources) {
        this.resources = resources;
    }

    @BindToRegistry("serviceMode")
    public ServiceMode serviceMode(Settings settings, Database database, Replica replica) {
        ServiceMode mode = settings.isDemo() ? demo(settings, database)
                : new ServiceMode(false, settings.evolution().baseUrl().orElseThrow(), settings.evolution().apiKey(),
                settings.adminToken(), settings.events().webhookToken(), settings.stream().viewerTokenSecret(),
                Optional.empty(), settings.evolution().servers());
        logConfiguration(settings, database, replica, mode);
        return mode;
    }

    private ServiceMode demo(Settings settings, Database database) {
        String webhookToken = settings.events().webhookToken().orElse(DemoMode.WEBHOOK_TOKEN);
        java.util.Map<String, EvolutionSimulator> simulators;
        try {
            simulators = DemoMode.startSimulators(URI.create("http://127.0.0.1:" + settings.httpPort()
                    + "/webhooks/evolution?token=" + webhookToken));
            simulators.values().forEach(resources::add);
            DemoMode.seed(database.dataSource());
        } catch (Exception e) {
            throw new IllegalStateException("Cannot start demo mode: " + e.getMessage(), e);
        }
        EvolutionSimulator simulator = simulators.get(DemoMode.DEFAULT_SERVER);
        List<Settings.EvolutionServer> servers = simulators.entrySet().stream().map(entry ->
                new Settings.EvolutionServer(entry.getKey(), entry.getValue().baseUrl(),
                        Optional.of(DemoMode.EVOLUTION_API_KEY))).toList();
        LOG.warn("*** DEMO MODE *** neither DATABASE_URL nor EVOLUTION_API_BASE_URL is set: using embedded PostgreSQL "
                + "({}) and two built-in Evolution API simulators ({}) with {} demo instances. "
                + "Demo credentials for the admin API: {}. Set DATABASE_URL and EVOLUTION_API_BASE_URL for real use.",
                database.url().redacted(), servers, DemoMode.instanceNames().size(),
                settings.adminToken().isPresent() ? "your ADMIN_TOKEN" : DemoMode.ADMIN_TOKEN);
        return new ServiceMode(true, simulator.baseUrl(), Optional.of(DemoMode.EVOLUTION_API_KEY),
                settings.adminToken().or(() -> Optional.of(DemoMode.ADMIN_TOKEN)), Optional.of(webhookToken),
                settings.stream().viewerTokenSecret().or(() -> Optional.of(DemoMode.VIEWER_TOKEN_SECRET)),
                Optional.of(simulator), servers);
    }

    private static void logConfiguration(Settings settings, Database database, Replica replica, ServiceMode mode) {
        Settings.Refresh refresh = settings.refresh();
        LOG.info("Replica {}", replica);
        LOG.info("Database: {}{}", database.url(), database.isEmbedded()
                ? " (embedded, data in " + settings.database().embeddedDataDir().toAbsolutePath() + ")" : "");
        LOG.info("Evolution API: {} (timeout {} ms)", mode.servers().size() == 1 ? mode.evolutionBaseUrl()
                : mode.servers().size() + " servers: " + mode.servers(), settings.evolution().timeoutMs());
        LOG.info("Refresh, as configured: cron '{}', concurrency {}, limit {}, minimum QR age {} (a control stored by"
                + " PUT /refresh-control overrides it: the next lines say which applies)", refresh.cron(),
                refresh.concurrency(), refresh.limit() == 0 ? "none" : refresh.limit(), refresh.minAge());
        LOG.info("Failure check: cron '{}', stale after {}, alerts to {}", settings.alerts().failureCheckCron(),
                settings.alerts().staleAfter(), settings.alerts().webhookUrl()
                        .map(url -> url.getScheme() + "://" + url.getAuthority() + "/... (" + settings.alerts()
                                .webhookFormat() + (settings.alerts().webhookSecret().isPresent() ? ", signed)" : ")"))
                        .orElse("the log only (ALERT_WEBHOOK_URL not set)"));
        LOG.info("HTTP API on :{}, health and metrics on :{}/observe", settings.httpPort(),
                settings.management().port());
        if (mode.webhookToken().isEmpty()) {
            LOG.warn("EVOLUTION_WEBHOOK_TOKEN is not set: POST /webhooks/evolution answers 403 and QR codes are only "
                    + "polled (stored QR current about a third of the time with a one-minute schedule)");
        }
        if (mode.adminToken().isEmpty()) {
            LOG.warn("ADMIN_TOKEN is not set: the admin endpoints (POST /refresh-qr-codes, GET /refresh-runs, "
                    + "/refresh-control, /instances/{name}/viewer-token and /webhook-token) answer 403 until it is");
        }
    }
}
