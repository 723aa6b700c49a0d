package io.qrrefresher.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;

import javax.sql.DataSource;

import io.qrrefresher.QrRefresherApplication;
import io.qrrefresher.ServiceLifecycle;
import io.qrrefresher.db.Database;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.refresh.RefreshRuns;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.properties.PropertiesComponent;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;

import static org.awaitility.Awaitility.await;

/**
 * The real service, started in this JVM exactly as {@code main} starts it (same Main, same configuration classes, same routes),
 * against a fresh database on the shared PostgreSQL. Schedules are pushed far away unless a test sets them; tests
 * run the pipeline through {@link #refresh()} or the HTTP API.
 */
public final class RunningService implements AutoCloseable {

    static {
        // conditions that must come true get a generous bound: a loaded 2-core machine (ReplicasTest runs beside the
        // other tests) can take seconds; a passing test never waits for it
        org.awaitility.Awaitility.setDefaultTimeout(Duration.ofSeconds(30));
    }

    public static final String ADMIN_TOKEN = "test-admin-token-0123456789";
    public static final String NEVER = "0 0 0 1 1 ? 2099";
    public static final String VIEWER_SECRET = "test-viewer-secret-0123456789abcdef0123";

    private static final java.util.concurrent.atomic.AtomicInteger SERVICES = new java.util.concurrent.atomic.AtomicInteger();

    private final ServiceLifecycle lifecycle = new ServiceLifecycle();
    private final Properties properties = new Properties();
    private final int httpPort;
    private final int managementPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Main main;
    private Thread runner;
    private ProducerTemplate producer;
    private Db db;

    private RunningService() {
        this(FreePorts.next(), FreePorts.next());
    }

    private RunningService(int httpPort, int managementPort) {
        this.httpPort = httpPort;
        this.managementPort = managementPort;
        // a CamelContext name of its own: two services may run in this JVM at once (classes marked
        // @ResourceLock("second-service")), and Camel's JMX names and both Quartz schedulers' names carry it
        properties.setProperty("camel.main.name", "qr-refresher-" + SERVICES.incrementAndGet());
        properties.setProperty("http.port", String.valueOf(httpPort));
        properties.setProperty("management.port", String.valueOf(managementPort));
        properties.setProperty("admin.token", ADMIN_TOKEN);
        properties.setProperty("viewer.token-secret", VIEWER_SECRET);
        properties.setProperty("qr.refresh.cron", NEVER);
        properties.setProperty("qr.failure-check.cron", NEVER);
        properties.setProperty("alert.delivery.poll-ms", "100");
        properties.setProperty("alert.delivery.retry-base", "PT0.2S");
        properties.setProperty("evolution.timeout-ms", "2000");
        // a pause or cron saved by another replica (or over JMX) is read from the database this often
        properties.setProperty("qr.control.watch-ms", "500");
        // tests drive runs themselves; the immediate refresh of requested instances has tests of its own
        properties.setProperty("qr.refresh.on-request", "false");
    }

    /** A service against the given Evolution API, on a database of its own (migrated: SharedPostgres.migratedDatabase). */
    public static RunningService against(ScriptedEvolutionApi evolution) {
        return new RunningService()
                .with("database.url", SharedPostgres.migratedDatabase())
                .with("database.user", "postgres")
                .with("evolution.api.base-url", evolution.baseUrl().toString())
                .with("evolution.api-key", ScriptedEvolutionApi.GLOBAL_KEY);
    }

    /**
     * A service against several Evolution servers (EVOLUTION_SERVERS, in the order given), on a database of its own;
     * every server takes the global key unless the test gives one its own ({@code evolution.api-key-<name>}).
     */
    public static RunningService againstServers(java.util.Map<String, ScriptedEvolutionApi> servers) {
        StringBuilder list = new StringBuilder();
        servers.forEach((name, evolution) -> list.append(list.length() == 0 ? "" : ",").append(name).append('=')
                .append(evolution.baseUrl()));
        return new RunningService()
                .with("database.url", SharedPostgres.migratedDatabase())
                .with("database.user", "postgres")
                .with("evolution.servers", list.toString())
                .with("evolution.api-key", ScriptedEvolutionApi.GLOBAL_KEY);
    }

    /** A service against any Evolution API (the plain simulator, say), on the given database. */
    public static RunningService bareAgainst(URI evolution, String databaseUrl) {
        return new RunningService()
                .with("database.url", databaseUrl)
                .with("database.user", "postgres")
                .with("evolution.api.base-url", evolution.toString())
                .with("qr.refresh.on-request", "true");
    }

    /** A service with only the given properties (demo mode when no database and no Evolution API are set). */
    public static RunningService bare() {
        return new RunningService();
    }

    /** A service like this one (same properties, database and ports), to start once this one is closed. */
    public RunningService again() {
        RunningService again = new RunningService(httpPort, managementPort);
        again.properties.clear();
        again.properties.putAll(properties);
        return again;
    }

    public RunningService with(String key, String value) {
        if (value == null) {
            properties.remove(key);
        } else {
            properties.setProperty(key, value);
        }
        return this;
    }

    public RunningService start() {
        main = QrRefresherApplication.createMain(lifecycle, properties, new MainListenerSupport() {
            @Override
            public void beforeInitialize(BaseMainSupport support) {
                // the test's properties, not the developer's shell (DATABASE_URL...), configure the service
                ((PropertiesComponent) support.getCamelContext().getPropertiesComponent())
                        .setEnvironmentVariableMode(PropertiesComponent.ENVIRONMENT_VARIABLES_MODE_NEVER);
            }
        });
        AtomicReference<Throwable> failure = new AtomicReference<>();
        runner = new Thread(() -> {
            try {
                main.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "service-under-test");
        runner.start();
        // Camel Main logs a failed start and returns: a runner that ended, or a failure after Camel's start, is a
        // failed start to report now, with its cause, not a minute's wait
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> failure.get() != null
                    || lifecycle.startFailure() != null || !runner.isAlive()
                    || main.getCamelContext() != null && main.getCamelContext().isStarted() && lifecycle.isStarted());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            StringBuilder stack = new StringBuilder();
            for (StackTraceElement frame : runner.getStackTrace()) {
                stack.append("\n\tat ").append(frame);
            }
            stopQuietly();
            throw new IllegalStateException("Service did not start within 60 s; the starting thread is at:" + stack, e);
        }
        Throwable cause = failure.get() != null ? failure.get() : lifecycle.startFailure();
        if (cause != null || !lifecycle.isStarted()) {
            stopQuietly();
            throw new IllegalStateException("Service did not start: " + (cause != null ? cause.getMessage()
                    : "Camel Main returned before the service was up (its log above says why)"), cause);
        }
        producer = context().createProducerTemplate();
        db = new Db(dataSource());
        LIVE.add(this);
        return this;
    }

    /** The breaker the route call-evolution-api created (named after its circuitBreaker step). */
    public io.github.resilience4j.circuitbreaker.CircuitBreaker circuitBreaker() {
        return context().getRegistry()
                .findSingleByType(io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry.class)
                .find("evolution-api").orElseThrow();
    }

    public CamelContext context() {
        return main.getCamelContext();
    }

    /** The one bean of that type the configuration classes bound (settings, database, qrStreams, ...). */
    public <T> T bean(Class<T> type) {
        return context().getRegistry().findSingleByType(type);
    }

    public DataSource dataSource() {
        return bean(Database.class).dataSource();
    }

    public Db db() {
        return db;
    }

    /** Runs the refresh pipeline once, as the schedule does, and returns the run. */
    public RefreshRun refresh() {
        return refresh(RefreshRun.MANUAL);
    }

    public RefreshRun refresh(String trigger) {
        Exchange exchange = producer.send("direct:refresh-run",
                ex -> ex.setProperty("trigger", trigger));
        return exchange.getProperty(RefreshRuns.RUN_PROPERTY, RefreshRun.class);
    }

    /** The services started and not closed yet: where {@link #viewerToken} finds the row a token names. */
    private static final java.util.Set<RunningService> LIVE = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A viewer token for the row named {@code instance}, valid for five minutes, as the application's backend mints
     * it: bound to the row's id and owner, read from the database of the running service that has such a row. With no
     * such row anywhere, a token for a row that does not exist.
     */
    public static String viewerToken(String instance) {
        java.util.List<io.qrrefresher.access.ViewerTokens.Binding> found = new java.util.ArrayList<>();
        for (RunningService service : LIVE) {
            service.binding(instance).ifPresent(found::add);
        }
        if (found.size() > 1) {
            throw new IllegalStateException("Instance '" + instance + "' exists in " + found.size()
                    + " running services: mint its token with service.viewerTokenFor(name)");
        }
        io.qrrefresher.access.ViewerTokens.Binding row = found.isEmpty()
                ? new io.qrrefresher.access.ViewerTokens.Binding("no-such-row", "") : found.get(0);
        return viewerToken(instance, row);
    }

    /** A viewer token for the row named {@code instance} in this service's database (see {@link #viewerToken}). */
    public String viewerTokenFor(String instance) {
        return viewerToken(instance, binding(instance)
                .orElse(new io.qrrefresher.access.ViewerTokens.Binding("no-such-row", "")));
    }

    public static String viewerToken(String instance, io.qrrefresher.access.ViewerTokens.Binding row) {
        return new io.qrrefresher.access.ViewerTokens(java.util.Optional.of(VIEWER_SECRET), Duration.ofMinutes(5))
                .mint(instance, row.rowId(), row.owner(), java.time.Instant.now().plus(Duration.ofMinutes(5)));
    }

    private java.util.Optional<io.qrrefresher.access.ViewerTokens.Binding> binding(String instance) {
        try (java.sql.Connection connection = dataSource().getConnection();
             java.sql.PreparedStatement select = connection.prepareStatement(
                     "SELECT id::text, user_id::text FROM evolution_instances WHERE instance_name = ?")) {
            select.setString(1, instance);
            try (java.sql.ResultSet row = select.executeQuery()) {
                return row.next() ? java.util.Optional.of(new io.qrrefresher.access.ViewerTokens.Binding(
                        row.getString(1), row.getString(2))) : java.util.Optional.empty();
            }
        } catch (Exception e) {
            return java.util.Optional.empty();
        }
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    /** A URL of the management server (health, metrics, Jolokia). */
    public URI managementUrl(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    /** Sends {@code request} (built against {@link #url}) with this service's HTTP client; the body as text. */
    public HttpResponse<String> send(HttpRequest request) throws Exception {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> post(String path, String bearer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(url(path)).POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(60));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public HttpResponse<String> get(String path, String bearer) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(url(path)).GET().timeout(Duration.ofSeconds(30));
        if (bearer != null) {
            request.header("Authorization", "Bearer " + bearer);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * After a failed start: Camel Main may still run (with its JVM shutdown hook, which would hold the test JVM's exit
     * for its graceful-shutdown timeout), so it is told to complete like on close.
     */
    private void stopQuietly() {
        try {
            close();
        } catch (Exception e) {
            // the start's failure is the one to report
        }
    }

    @Override
    public void close() throws Exception {
        LIVE.remove(this);
        if (main != null) {
            main.completed();
            runner.join(30_000);
        }
        lifecycle.close();
    }
}
