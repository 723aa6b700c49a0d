package io.qrrefresher;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.Fixtures;
import io.qrrefresher.support.RestartablePostgres;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.WebhookReceiver;
import org.apache.camel.component.http.HttpEndpoint;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Fault drills on the scheduled refresh: each one breaks something for real while cycles run, then checks what
 * survived, that nothing was lost or corrupted, and how fast things came back. (The alert receiver that is down, then
 * up, is drilled in {@link AlertsTest}; three replicas with one killed, in {@link ReplicasTest}.)
 */
@Execution(ExecutionMode.CONCURRENT) // a second service in this JVM, beside the one-at-a-time classes
@ResourceLock("second-service")
@Order(10)
class FaultDrillsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dataDir;

    @Test
    void evolutionDownForSeveralCycles() throws Exception {
        Duration openDuration = Duration.ofSeconds(4);
        int halfOpenCalls = 2;
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             WebhookReceiver receiver = new WebhookReceiver();
             RunningService service = RunningService.against(evolution)
                     .with("qr.refresh.cron", "* * * * * ?").with("qr.refresh.min-interval", "PT1S")
                     .with("qr.refresh.concurrency", "4")
                     .with("evolution.circuit.window-size", "8")
                     .with("evolution.circuit.minimum-calls", "8")
                     .with("evolution.circuit.open-duration", "PT" + openDuration.toSeconds() + "S")
                     .with("evolution.circuit.half-open-calls", String.valueOf(halfOpenCalls))
                     .with("alert.webhook.url", receiver.url().toString())
                     .start()) {
            List<String> names = addInstances(evolution, service, "down", 12);
            awaitAllCurrent(evolution, service, names, Duration.ofSeconds(10));
            CircuitBreaker breaker = breaker(service);

            evolution.failEveryCall(Fixtures.reply(502, "internal-error.json"));
            await().atMost(Duration.ofSeconds(10)).until(() -> breaker.getState() == CircuitBreaker.State.OPEN);
            evolution.resetCalls();
            long runsBefore = scheduledRuns(service);
            Instant outageFrom = Instant.now();
            await().atMost(Duration.ofSeconds(60)).until(() -> scheduledRuns(service) - runsBefore >= 5);
            // cycles went by: only the half-open trial calls reached Evolution, at most once per open period
            // (counted over the time that really passed, however slow the machine)
            int calls = evolution.totalCalls();
            long openPeriods = Duration.between(outageFrom, Instant.now()).toMillis() / openDuration.toMillis() + 1;
            assertThat(calls).isLessThanOrEqualTo((int) (openPeriods * halfOpenCalls));
            assertThat(alerts(receiver, "evolution_api_unreachable", "firing")).isEqualTo(1);
            // nothing lost: the QR codes stored before the outage are still there, untouched
            for (String name : names) {
                assertThat(service.db().instance(name).get("qr_code")).isNotNull();
            }

            for (String name : names) {
                evolution.rotate(name);
            }
            evolution.clearFaults();
            // the breaker waits out its open period, then the next cycle's trial calls close it and every instance
            // is refreshed again
            awaitAllCurrent(evolution, service, names, Duration.ofSeconds(60));
            await().atMost(Duration.ofSeconds(5))
                    .until(() -> alerts(receiver, "evolution_api_unreachable", "resolved") == 1);
            assertThat(alerts(receiver, "evolution_api_unreachable", "firing")).isEqualTo(1);
            assertThat(service.db().query("SELECT 1 FROM qr_refresher.refresh_runs WHERE status = 'running'"
                    + " AND ended_at IS NOT NULL")).isEmpty();
        }
    }

    @Test
    void evolutionHanging() throws Exception {
        int concurrency = 4;
        int instances = 16;
        Duration timeout = Duration.ofSeconds(1);
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution)
                     .with("qr.refresh.cron", "* * * * * ?").with("qr.refresh.min-interval", "PT1S")
                     .with("qr.refresh.concurrency", String.valueOf(concurrency))
                     .with("evolution.timeout-ms", String.valueOf(timeout.toMillis()))
                     // the breaker would soon stop the calls: keep it out of the way to drill the timeouts alone
                     .with("evolution.circuit.minimum-calls", "1000")
                     .with("evolution.circuit.window-size", "1000")
                     .start()) {
            List<String> names = addInstances(evolution, service, "hang", instances);
            awaitAllCurrent(evolution, service, names, Duration.ofSeconds(10));
            for (String name : names) {
                evolution.delay(name, Duration.ofSeconds(30));
            }
            long firstHungRun = lastRunId(service);
            PoolingHttpClientConnectionManager connections = service.context().getEndpoints().stream()
                    .filter(endpoint -> endpoint instanceof HttpEndpoint http
                            && http.getEndpointUri().startsWith(evolution.baseUrl().toString().replaceAll("/$", "")))
                    .map(endpoint -> (PoolingHttpClientConnectionManager) ((HttpEndpoint) endpoint)
                            .getClientConnectionManager())
                    .findFirst().orElseThrow();
            // over 6 s of hung calls (several runs, each ended by the 1 s timeouts), the pool never goes above its
            // bound (sampled every 50 ms)
            java.util.concurrent.atomic.AtomicInteger mostInUse = new java.util.concurrent.atomic.AtomicInteger();
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                    .until(() -> mostInUse.accumulateAndGet(connections.getTotalStats().getLeased(), Math::max)
                            <= concurrency);
            int mostConnectionsInUse = mostInUse.get();

            // while every call hangs: the JVM answers at once, the pool stays at its bound
            HttpResponse<String> live = HTTP.send(HttpRequest.newBuilder(service.managementUrl("/observe/health/live"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).isEqualTo(200);
            assertThat(mostConnectionsInUse).isPositive().isLessThanOrEqualTo(concurrency);
            assertThat(Thread.getAllStackTraces().keySet().stream()
                    .filter(thread -> thread.getName().endsWith(" - qr-refresh")).count())
                    .isLessThanOrEqualTo(concurrency);

            evolution.clearFaults();
            awaitAllCurrent(evolution, service, names, Duration.ofSeconds(10));
            List<Map<String, Object>> hungRuns = service.db().query("SELECT id, status, failed, started_at, ended_at,"
                    + " EXTRACT(EPOCH FROM ended_at - started_at) AS seconds FROM qr_refresher.refresh_runs"
                    + " WHERE trigger = 'schedule' AND id > ? AND failed > 0 ORDER BY id", firstHungRun);
            assertThat(hungRuns).isNotEmpty();
            // each run ended (the timeouts bound it) with every instance failed, none left hanging
            for (Map<String, Object> run : hungRuns) {
                assertThat(run.get("ended_at")).isNotNull();
                assertThat(run.get("status")).isEqualTo("failed");
            }
            // and runs never overlapped: the ticks that fell during a run were skipped
            for (int i = 1; i < hungRuns.size(); i++) {
                assertThat(((java.sql.Timestamp) hungRuns.get(i).get("started_at")))
                        .isAfterOrEqualTo((java.sql.Timestamp) hungRuns.get(i - 1).get("ended_at"));
            }
        }
    }

    @Test
    void postgresStoppedAndRestartedMidRun() throws Exception {
        try (RestartablePostgres database = new RestartablePostgres(dataDir);
             ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution)
                     .with("database.url", database.jdbcUrl())
                     .with("database.wait-ms", "1500")
                     .with("qr.refresh.concurrency", "4")
                     .start()) {
            List<String> names = addInstances(evolution, service, "pg", 16);
            assertThat(service.refresh().getRefreshed()).isEqualTo(16);
            for (String name : names) {
                evolution.rotate(name);
                evolution.delay(name, Duration.ofMillis(300));
            }

            CompletableFuture<RefreshRun> interrupted = CompletableFuture.supplyAsync(
                    () -> service.refresh(RefreshRun.SCHEDULE));
            await().atMost(Duration.ofSeconds(5)).until(() -> evolution.totalCalls() > 40);
            database.stop();
            RefreshRun failed = interrupted.get();
            assertThat(failed.getStatus()).isEqualTo("failed");
            assertThat(service.context().isStarted()).isTrue();

            database.start();
            evolution.clearFaults();
            await().atMost(Duration.ofSeconds(20)).until(() -> readiness(service) == 200);
            RefreshRun next = service.refresh(RefreshRun.SCHEDULE);

            assertThat(next.getStatus()).isEqualTo("succeeded");
            assertThat(next.getFailed()).isZero();
            // the run the outage broke is in the history as failed (written by the next run), none left running
            Map<String, Object> history = service.db().queryOne(
                    "SELECT status, message, ended_at FROM qr_refresher.refresh_runs WHERE id = ?", failed.getId());
            assertThat(history.get("status")).isEqualTo("failed");
            assertThat((String) history.get("message")).contains("database");
            assertThat(history.get("ended_at")).isNotNull();
            assertThat(service.db().query("SELECT 1 FROM qr_refresher.refresh_runs WHERE status = 'running'"))
                    .isEmpty();
            // nothing lost or half-written: every row holds the QR Evolution shows now
            for (String name : names) {
                assertThat(service.db().instance(name).get("qr_code")).isEqualTo(evolution.currentBase64(name));
                assertThat(service.db().instance(name).get("instance_status")).isEqualTo("connecting");
            }
        }
    }

    private static List<String> addInstances(ScriptedEvolutionApi evolution, RunningService service, String prefix,
                                             int count) {
        List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < count; i++) {
            String name = prefix + "-" + i;
            evolution.addInstance(name, "token-" + name, State.CONNECTING);
            evolution.rotate(name);
            service.db().insertInstance(name, "token-" + name, "connecting");
            names.add(name);
        }
        return names;
    }

    private static void awaitAllCurrent(ScriptedEvolutionApi evolution, RunningService service, List<String> names,
                                        Duration within) {
        await().atMost(within).pollInterval(Duration.ofMillis(100)).until(() -> names.stream().allMatch(name ->
                evolution.currentBase64(name).equals(service.db().instance(name).get("qr_code"))));
    }

    private static CircuitBreaker breaker(RunningService service) {
        return service.circuitBreaker();
    }

    private static long scheduledRuns(RunningService service) {
        return ((Number) service.db().queryOne("SELECT count(*) AS n FROM qr_refresher.refresh_runs"
                + " WHERE trigger = 'schedule'").get("n")).longValue();
    }

    private static long lastRunId(RunningService service) {
        return ((Number) service.db().queryOne("SELECT coalesce(max(id), 0) AS id FROM qr_refresher.refresh_runs")
                .get("id")).longValue();
    }

    private static int readiness(RunningService service) {
        try {
            return HTTP.send(HttpRequest.newBuilder(service.managementUrl("/observe/health/ready"))
                    .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private static long alerts(WebhookReceiver receiver, String alert, String status) {
        return receiver.deliveries().stream().map(delivery -> {
            try {
                return JSON.readTree(delivery.body());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).filter(body -> body.get("alert").asText().equals(alert) && body.get("status").asText().equals(status))
                .count();
    }
}
