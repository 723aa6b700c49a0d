package io.qrrefresher.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;

import io.qrrefresher.demo.EvolutionSimulator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestExecutionExceptionHandler;
import org.junit.jupiter.api.function.ThrowingConsumer;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A service in a JVM of its own, for one test class ({@code @RegisterExtension static final}): fed by an Evolution
 * test server whose QR codes rotate every {@code rotation} and are pushed to the service by webhook, on a fresh
 * database the test reads and writes through {@link #db()}. Started before the class with what {@code configure} adds
 * ({@link ServiceProcess#env}), emptied before each test ({@link #reset}), stopped after the class. A failing test's
 * message ends with what the service last logged (one line: a CI summary shows only the message), and the service's
 * folder is kept when a test failed.
 */
public final class PushedService implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback,
        TestExecutionExceptionHandler {

    private static final int LOG_LINES = 15;
    private final Path directory;
    private final ServiceProcess service;
    private final ScriptedEvolutionApi evolution;
    private final Db db;
    private final ThrowingConsumer<ServiceProcess> configure;
    private volatile boolean failed;

    private PushedService(Path directory, ServiceProcess service, ScriptedEvolutionApi evolution, Db db,
                          ThrowingConsumer<ServiceProcess> configure) {
        this.directory = directory;
        this.service = service;
        this.evolution = evolution;
        this.db = db;
        this.configure = configure;
    }

    /** The database and the Evolution test server now; the service when the class starts. */
    public static PushedService rotatingEvery(Duration rotation, ThrowingConsumer<ServiceProcess> configure) {
        try {
            Path directory = Files.createTempDirectory("pushed-service");
            String database = SharedPostgres.newDatabase();
            PGSimpleDataSource dataSource = new PGSimpleDataSource();
            dataSource.setURL(database);
            dataSource.setUser("postgres");
            // the service's port first: Evolution posts its webhooks there
            ServiceProcess service = ServiceProcess.against(URI.create("http://127.0.0.1:1"),
                    ScriptedEvolutionApi.GLOBAL_KEY, database, directory.resolve("service")).quickJit();
            ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start(EvolutionSimulator.builder()
                    .rotation(rotation, Duration.ofMillis(200))
                    .webhook(URI.create(service.url("/webhooks/evolution") + "?token=" + Webhooks.TOKEN),
                            Duration.ofMillis(200)));
            service.env("EVOLUTION_API_BASE_URL", evolution.baseUrl().toString())
                    .env("EVOLUTION_WEBHOOK_TOKEN", Webhooks.TOKEN)
                    .env("QR_REFRESH_ON_REQUEST", "false");
            return new PushedService(directory, service, evolution, new Db(dataSource), configure);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public ServiceProcess service() {
        return service;
    }

    public ScriptedEvolutionApi evolution() {
        return evolution;
    }

    public Db db() {
        return db;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        try {
            configure.accept(service);
            service.start();
        } catch (Exception | Error e) {
            failed = true;
            throw e;
        } catch (Throwable e) {
            failed = true;
            throw new IllegalStateException(e);
        }
    }

    /** Before each test: no instance left in Evolution or in the table, webhooks arriving, QR codes generated. */
    @Override
    public void beforeEach(ExtensionContext context) {
        reset();
    }

    public void reset() {
        evolution.clearFaults();
        evolution.resumeGeneratingQrs();
        evolution.loseWebhooks(false);
        for (Map<String, Object> row : db.query("SELECT instance_name FROM evolution_instances")) {
            String name = (String) row.get("instance_name");
            evolution.loseWebhooks(name, false);
            evolution.removeInstance(name);
        }
        db.update("DELETE FROM evolution_instances");
    }

    @Override
    public void handleTestExecutionException(ExtensionContext context, Throwable failure) throws Throwable {
        failed = true;
        String message = String.valueOf(failure.getMessage()).replace('\n', ' ');
        AssertionError explained = new AssertionError(failure.getClass().getSimpleName() + ": " + message
                + " || service log: " + String.join(" | ", service.recentLog(LOG_LINES)), failure);
        explained.setStackTrace(failure.getStackTrace());
        throw explained;
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        service.close();
        evolution.close();
        if (failed) {
            System.err.println("The service's folder is kept: " + directory);
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }
}
