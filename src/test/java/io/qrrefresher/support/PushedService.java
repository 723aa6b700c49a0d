package io.qrrefresher.support;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;

import io.qrrefresher.demo.EvolutionSimulator;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A service in a JVM of its own, fed by an Evolution test server whose QR codes rotate every {@code rotation} and are
 * pushed to the service by webhook, on a fresh database the test reads and writes through {@link #db()}. The service
 * is configured (more {@link ServiceProcess#env}) but not started: {@code service().start()}.
 */
public record PushedService(ServiceProcess service, ScriptedEvolutionApi evolution, Db db) implements AutoCloseable {

    public static PushedService create(Path directory, Duration rotation) throws IOException {
        String database = SharedPostgres.newDatabase();
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(database);
        dataSource.setUser("postgres");
        // the service's port first: Evolution posts its webhooks there
        ServiceProcess service = ServiceProcess.against(URI.create("http://127.0.0.1:1"),
                ScriptedEvolutionApi.GLOBAL_KEY, database, directory);
        ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start(EvolutionSimulator.builder()
                .rotation(rotation, Duration.ofMillis(200))
                .webhook(URI.create(service.url("/webhooks/evolution") + "?token=" + Webhooks.TOKEN),
                        Duration.ofMillis(200)));
        service.env("EVOLUTION_API_BASE_URL", evolution.baseUrl().toString())
                .env("EVOLUTION_WEBHOOK_TOKEN", Webhooks.TOKEN)
                .env("QR_REFRESH_ON_REQUEST", "false");
        return new PushedService(service, evolution, new Db(dataSource));
    }

    /** Between tests: no instance left in Evolution or in the table, webhooks arriving, QR codes generated. */
    public void reset() {
        evolution.clearFaults();
        evolution.resumeGeneratingQrs();
        evolution.loseWebhooks(false);
        for (java.util.Map<String, Object> row : db.query("SELECT instance_name FROM evolution_instances")) {
            String name = (String) row.get("instance_name");
            evolution.loseWebhooks(name, false);
            evolution.removeInstance(name);
        }
        db.update("DELETE FROM evolution_instances");
    }

    @Override
    public void close() {
        service.close();
        evolution.close();
    }
}
