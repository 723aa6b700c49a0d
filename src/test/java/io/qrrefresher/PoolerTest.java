package io.qrrefresher;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.PgBouncer;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.SharedPostgres;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Connection poolers as Supabase users meet them: PgBouncer in transaction mode (Supabase's pooler on port 6543) and
 * in session mode, in front of the test PostgreSQL.
 */
@Execution(ExecutionMode.CONCURRENT) // a second service in this JVM, beside the one-at-a-time classes
@ResourceLock("second-service")
@Order(12)
class PoolerTest {

    @BeforeAll
    static void pgbouncerInstalled() {
        Assumptions.assumeTrue(PgBouncer.isInstalled() || System.getenv("CI") != null,
                "PgBouncer is not installed (apt-get install pgbouncer; .ci/run installs it)");
    }

    @Test
    void aTransactionPoolerAloneStopsStartupWithOneLineNamingTheFix() throws Exception {
        String direct = SharedPostgres.newDatabase();
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             PgBouncer pooler = PgBouncer.start(SharedPostgres.server().getPort(), "transaction", 5)) {
            StartupTest.Result result = StartupTest.run(java.util.Map.of(
                    "DATABASE_URL", pooler.jdbcUrl(name(direct)),
                    "DATABASE_USER", "postgres",
                    "EVOLUTION_API_BASE_URL", evolution.baseUrl().toString()));
            assertThat(result.exitCode()).isEqualTo(1);
            assertThat(result.stderr().strip().lines()).singleElement().asString()
                    .contains("looks like a transaction-mode pooler")
                    .contains("set DATABASE_LISTEN_URL to a direct or session-mode URL");
            // a failed start leaves nothing on the pooler's server connections
            assertNoSessionStateOnServerConnections(pooler, name(direct));
            // nothing was migrated through the pooler
            try (Connection db = DriverManager.getConnection(direct, "postgres", "");
                 Statement sql = db.createStatement();
                 ResultSet schema = sql.executeQuery("SELECT count(*) FROM pg_namespace WHERE nspname = 'qr_refresher'")) {
                schema.next();
                assertThat(schema.getInt(1)).isZero();
            }
        }
    }

    @Test
    void aTransactionPoolerWithADirectListenUrlWorksAndLeavesNoSessionStateOnPooledConnections() throws Exception {
        String direct = SharedPostgres.newDatabase();
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             PgBouncer pooler = PgBouncer.start(SharedPostgres.server().getPort(), "transaction", 4);
             RunningService service = RunningService.bareAgainst(evolution.baseUrl(), pooler.jdbcUrl(name(direct)))
                     .with("database.listen-url", direct)
                     .with("evolution.api-key", ScriptedEvolutionApi.GLOBAL_KEY)
                     .with("evolution.webhook-token", Webhooks.TOKEN)
                     .start()) {
            assertThat(service.bean(io.qrrefresher.db.Database.class).isTransactionPooled()).isTrue();
            // the immediate refresh rides on LISTEN (the direct URL); the writes on the pooler
            askForAQrAndAwaitIt(evolution, service, "pooled");
            evolution.rotate("pooled");
            RefreshRun run = service.refresh();
            assertThat(run.getRefreshed()).isEqualTo(1);
            assertThat(new Webhooks(service).post(Webhooks.qrEvent("pooled", "2@through-the-pooler", null))
                    .statusCode()).isEqualTo(200);

            assertNoSessionStateOnServerConnections(pooler, name(direct));
        }
    }

    @Test
    void aSessionPoolerAloneWorksAndARestartOfItLosesNothing() throws Exception {
        String direct = SharedPostgres.newDatabase();
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             PgBouncer pooler = PgBouncer.start(SharedPostgres.server().getPort(), "session", 30);
             RunningService service = RunningService.bareAgainst(evolution.baseUrl(), pooler.jdbcUrl(name(direct)))
                     .with("evolution.api-key", ScriptedEvolutionApi.GLOBAL_KEY)
                     .with("evolution.webhook-token", Webhooks.TOKEN)
                     .with("qr.events.heartbeat-ms", "300")
                     .start()) {
            assertThat(service.bean(io.qrrefresher.db.Database.class).isTransactionPooled()).isFalse();
            askForAQrAndAwaitIt(evolution, service, "session");

            pooler.restart();

            // a webhook sent during the restart is answered 503 and delivered again by Evolution: retried here
            Webhooks webhooks = new Webhooks(service);
            String pushed = Webhooks.qrEvent("session", "2@after-the-restart", null);
            await().atMost(Duration.ofSeconds(30)).until(() -> webhooks.post(pushed).statusCode() == 200);
            assertThat(service.db().instance("session").get("qr_code"))
                    .isEqualTo(io.qrrefresher.evolution.QrImages.dataUrl("2@after-the-restart"));
            // LISTEN is back too: a row asking for a QR is served without a run
            await().atMost(Duration.ofSeconds(30)).until(() -> service.bean(io.qrrefresher.events.ListenerWatchdog.class).isListening());
            askForAQrAndAwaitIt(evolution, service, "after");
        }
    }

    @Test
    void duringAPoolerOutageHealthAnswersAtOnceAndEveryRunThatStartedLeavesARow() throws Exception {
        String direct = SharedPostgres.newDatabase();
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2)).build();
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             PgBouncer pooler = PgBouncer.start(SharedPostgres.server().getPort(), "session", 30);
             RunningService service = RunningService.bareAgainst(evolution.baseUrl(), pooler.jdbcUrl(name(direct)))
                     .with("evolution.api-key", ScriptedEvolutionApi.GLOBAL_KEY)
                     .with("database.wait-ms", "1500")
                     .start()) {
            assertThat(service.bean(io.qrrefresher.db.Database.class).isTransactionPooled()).isFalse();
            pooler.stop();

            // the orchestrator's health request (with its own short timeout) is answered, 503 with the reason
            await().atMost(Duration.ofSeconds(20)).until(() -> readiness(http, service).statusCode() == 503);
            java.net.http.HttpResponse<String> ready = readiness(http, service);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("database");

            java.net.http.HttpResponse<String> during = service.post("/refresh-qr-codes", RunningService.ADMIN_TOKEN);
            assertThat(during.statusCode()).isEqualTo(500);
            assertThat(during.body()).contains("run aborted");

            pooler.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> readiness(http, service).statusCode() == 200);
            await().atMost(Duration.ofSeconds(30)).until(() -> service.post("/refresh-qr-codes",
                    RunningService.ADMIN_TOKEN).statusCode() == 200);
            // the run of the outage is in the history too, written once the database answered again
            assertThat(service.db().query("SELECT status, message FROM qr_refresher.refresh_runs"
                    + " WHERE trigger = 'manual' AND status = 'failed' AND message LIKE 'run aborted%'")).hasSize(1);
        }
    }

    /** The application inserts a row waiting for a scan: the service hears it (LISTEN) and stores its QR. */
    private static void askForAQrAndAwaitIt(ScriptedEvolutionApi evolution, RunningService service, String name) {
        evolution.addInstance(name, "token-" + name, State.CONNECTING);
        evolution.rotate(name);
        service.db().insertInstance(name, "token-" + name, "connecting");
        await().atMost(Duration.ofSeconds(15)).until(() -> service.db().instance(name).get("qr_code") != null);
    }

    private static java.net.http.HttpResponse<String> readiness(java.net.http.HttpClient http, RunningService service)
            throws Exception {
        return http.send(java.net.http.HttpRequest.newBuilder(service.managementUrl("/observe/health/ready"))
                .timeout(Duration.ofSeconds(3)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Holds as many transactions open at once as the pooler has server connections, so that each check runs on a
     * different one: none has a changed search_path, a prepared statement or a LISTEN left by the service.
     */
    private static void assertNoSessionStateOnServerConnections(PgBouncer pooler, String database) throws Exception {
        int connections = pooler.poolSize();
        ExecutorService threads = Executors.newFixedThreadPool(connections);
        CountDownLatch allInside = new CountDownLatch(connections);
        try {
            List<Future<String>> states = new ArrayList<>();
            for (int i = 0; i < connections; i++) {
                states.add(threads.submit(() -> {
                    try (Connection db = DriverManager.getConnection(pooler.jdbcUrl(database)
                            + "?prepareThreshold=0", "postgres", "")) {
                        db.setAutoCommit(false);
                        try (Statement sql = db.createStatement();
                             ResultSet state = sql.executeQuery("SELECT pg_backend_pid(), current_setting('search_path'),"
                                     + " (SELECT count(*) FROM pg_prepared_statements),"
                                     + " (SELECT count(*) FROM pg_listening_channels())")) {
                            state.next();
                            allInside.countDown();
                            allInside.await(30, TimeUnit.SECONDS);
                            String found = state.getInt(1) + " " + state.getString(2) + " " + state.getLong(3) + " "
                                    + state.getLong(4);
                            db.rollback();
                            return found;
                        }
                    }
                }));
            }
            List<String> found = new ArrayList<>();
            for (Future<String> state : states) {
                found.add(state.get(60, TimeUnit.SECONDS));
            }
            assertThat(found.stream().map(line -> line.split(" ")[0]).distinct()).as("distinct server connections")
                    .hasSize(connections);
            assertThat(found).allSatisfy(line -> assertThat(line.substring(line.indexOf(' ') + 1))
                    .isEqualTo("\"$user\", public 0 0"));
        } finally {
            threads.shutdownNow();
        }
    }

    private static String name(String jdbcUrl) {
        String path = jdbcUrl.substring(jdbcUrl.lastIndexOf('/') + 1);
        return path.contains("?") ? path.substring(0, path.indexOf('?')) : path;
    }
}
