package io.qrrefresher;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.support.LatencyEvolutionApi;
import io.qrrefresher.support.ServiceProcess;
import io.qrrefresher.support.SharedPostgres;
import io.qrrefresher.support.WebhookReceiver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Three replicas, each a JVM of its own, on one database: every connecting instance gets exactly one Evolution call
 * of each kind per cycle across all of them, the work is shared, a replica killed mid-cycle (SIGKILL) loses nothing
 * (what it had claimed is refreshed in the next cycle), and one incident produces one alert, the failure check
 * firing on one replica per tick. It runs beside the other test classes (junit-platform.properties): its replicas are
 * JVMs of their own, and its test mostly waits.
 */
@Execution(ExecutionMode.CONCURRENT)
// one background class at a time: ReplicasTest measures Quartz clustering, which CPU starvation disturbs
@ResourceLock("background-processes")
@Order(1) // started early: the classes that start JVMs run one at a time, the longest first
class ReplicasTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final int INSTANCES = 300;
    static final int CYCLE_SECONDS = 20;
    static final String GHOST = "ghost";

    @TempDir
    Path work;

    @Test
    void threeReplicasShareEachCycleWithoutDuplicatesAndSurviveTheLossOfOne() throws Exception {
        String database = SharedPostgres.newDatabase();
        try (LatencyEvolutionApi evolution = new LatencyEvolutionApi(50, 10);
             WebhookReceiver receiver = new WebhookReceiver();
             Connection db = DriverManager.getConnection(database, "postgres", "")) {
            evolution.unknown(GHOST, true);
            List<ServiceProcess> replicas = new ArrayList<>();
            try {
                // the first one migrates the database, the two others start together
                replicas.add(replica(evolution, receiver, database, "a").start());
                List<CompletableFuture<ServiceProcess>> starting = List.of(
                        startAsync(replica(evolution, receiver, database, "b")),
                        startAsync(replica(evolution, receiver, database, "c")));
                for (CompletableFuture<ServiceProcess> replica : starting) {
                    replicas.add(replica.join());
                }
                ServiceProcess victim = replicas.get(2);

                // the application inserts instances: every replica hears each request, one of them serves it
                // (just after a cycle, so that no scheduled run mixes in)
                Instant requests = nextCycle().plusSeconds(1);
                waitUntil(requests);
                evolution.recordCalls(true);
                execute(db, "INSERT INTO evolution_instances (instance_name, instance_token, instance_status)"
                        + " SELECT 'replica-' || g, 'token-' || g, 'connecting' FROM generate_series(1, " + INSTANCES
                        + ") g");
                execute(db, "INSERT INTO evolution_instances (instance_name, instance_token, instance_status)"
                        + " VALUES ('" + GHOST + "', 'token-ghost', 'connecting')");
                // it has waited for a QR for an hour: stale at the first check
                execute(db, "UPDATE qr_refresher.instance_state SET connecting_since = now() - interval '1 hour'"
                        + " WHERE instance_id = (SELECT id FROM evolution_instances WHERE instance_name = '" + GHOST
                        + "')");
                await().atMost(Duration.ofSeconds(30)).until(() -> count(db,
                        "SELECT count(*) FROM evolution_instances WHERE qr_code IS NOT NULL") == INSTANCES);
                assertThat(callsPerInstance(evolution.recordedCalls(), requests,
                        requests.plusSeconds(CYCLE_SECONDS - 1), "connect"))
                        .as("requested refreshes: one connect per instance across three replicas")
                        .hasSize(INSTANCES).allSatisfy((name, calls) -> assertThat(calls).isEqualTo(1));

                // a full cycle, shared
                Instant first = nextCycle();
                waitUntil(first.plusSeconds(CYCLE_SECONDS - 2));
                assertExactlyOneCallEach(evolution, first);
                Map<String, Integer> shares = shares(db, first);
                assertThat(shares).hasSize(3);
                assertThat(shares.values()).allSatisfy(share -> assertThat(share).isGreaterThan(INSTANCES / 6));
                assertThat(shares.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(INSTANCES + 1);

                // a slow cycle, during which one replica dies
                evolution.latency(300);
                Instant second = nextCycle();
                waitUntil(second.plusSeconds(2));
                victim.kill();
                waitUntil(second.plusSeconds(CYCLE_SECONDS - 6));
                evolution.latency(50);
                waitUntil(second.plusSeconds(CYCLE_SECONDS - 1));
                List<LatencyEvolutionApi.Call> calls = evolution.recordedCalls();
                Map<String, Integer> connects = callsPerInstance(calls, second, second.plusSeconds(CYCLE_SECONDS),
                        "connect");
                assertThat(connects.values()).as("no instance refreshed twice in the cycle of the kill")
                        .allSatisfy(n -> assertThat(n).isEqualTo(1));
                Set<String> missed = new TreeSet<>();
                for (int i = 1; i <= INSTANCES; i++) {
                    if (!connects.containsKey("replica-" + i)) {
                        missed.add("replica-" + i);
                    }
                }
                assertThat(missed).as("instances the killed replica had claimed but not refreshed").isNotEmpty();
                assertThat(leaseOwners(db, missed)).containsOnly(replicaId(db, victim));

                // the next cycle refreshes them, and records the dead replica's run as interrupted; meanwhile the
                // failure check fires on one of the two replicas left at each tick (every 2 s), not on both
                Instant third = second.plusSeconds(CYCLE_SECONDS);
                long checksBefore = checksRun(replicas.get(0)) + checksRun(replicas.get(1));
                waitUntil(third.plusSeconds(CYCLE_SECONDS - 2));
                assertThat(checksRun(replicas.get(0)) + checksRun(replicas.get(1))).as("the check runs on")
                        .isGreaterThan(checksBefore);
                // property: each fire time was run by one replica (a loaded machine runs late ticks in a burst, so
                // a count of checks in a time window proves nothing; a check on both replicas would repeat a time)
                assertThat(count(db, "SELECT count(*) FROM (SELECT fire_time FROM qr_refresher.failure_check_runs"
                        + " GROUP BY fire_time HAVING count(*) > 1) twice"))
                        .as("fire times of the failure check run by more than one replica").isZero();
                assertThat(count(db, "SELECT count(DISTINCT fire_time) FROM qr_refresher.failure_check_runs"))
                        .isGreaterThan(1);
                assertExactlyOneCallEach(evolution, third);
                assertThat(count(db, "SELECT count(*) FROM qr_refresher.refresh_runs WHERE status = 'interrupted'"
                        + " AND replica = '" + replicaId(db, victim) + "'")).isEqualTo(1);

                // the ghost instance was stale all along: one alert for the three replicas, then one resolve
                evolution.unknown(GHOST, false);
                await().atMost(Duration.ofSeconds(CYCLE_SECONDS + 15)).until(() -> alerts(receiver, "resolved") == 1);
                assertThat(alerts(receiver, "firing")).isEqualTo(1);
            } finally {
                replicas.forEach(ServiceProcess::close);
            }
        }
    }

    private ServiceProcess replica(LatencyEvolutionApi evolution, WebhookReceiver receiver, String database,
                                   String name) {
        return ServiceProcess.against(evolution.baseUrl(), "replica-key", database, work.resolve(name))
                .env("QR_REFRESH_CRON", "0/" + CYCLE_SECONDS + " * * * * ?")
                .env("QR_REFRESH_CONCURRENCY", "8")
                // the lease (4 x timeout + 10 s = 14 s) runs out before the next cycle
                .env("EVOLUTION_TIMEOUT_MS", "1000")
                .env("QR_FAILURE_CHECK_CRON", "*/2 * * * * ?")
                .env("ALERT_WEBHOOK_URL", receiver.url().toString())
                .env("ALERT_DELIVERY_POLL_MS", "200")
                .jvmOption("-Xmx256m").quickJit();
    }

    private static CompletableFuture<ServiceProcess> startAsync(ServiceProcess replica) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return replica.start();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    /** The next cycle's scheduled time, at least 3 s ahead. */
    private static Instant nextCycle() {
        long now = Instant.now().plusSeconds(3).getEpochSecond();
        return Instant.ofEpochSecond((now / CYCLE_SECONDS + 1) * CYCLE_SECONDS);
    }

    /** Awaits a moment of the cycle's schedule (the test is about what replicas do at given times of the cycle). */
    private static void waitUntil(Instant moment) {
        await().atMost(Duration.between(Instant.now(), moment).plusSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> !Instant.now().isBefore(moment));
    }

    private static void assertExactlyOneCallEach(LatencyEvolutionApi evolution, Instant cycle) {
        List<LatencyEvolutionApi.Call> calls = evolution.recordedCalls();
        Instant end = cycle.plusSeconds(CYCLE_SECONDS);
        for (String kind : List.of("connectionState", "connect")) {
            Map<String, Integer> perInstance = callsPerInstance(calls, cycle, end, kind);
            perInstance.remove(GHOST);
            assertThat(perInstance).as("%s calls in the cycle of %s", kind, cycle).hasSize(INSTANCES)
                    .allSatisfy((name, n) -> assertThat(n).as(name).isEqualTo(1));
        }
    }

    private static Map<String, Integer> callsPerInstance(List<LatencyEvolutionApi.Call> calls, Instant from,
                                                         Instant to, String kind) {
        Map<String, Integer> counts = new HashMap<>();
        for (LatencyEvolutionApi.Call call : calls) {
            if (call.call().equals(kind) && !call.at().isBefore(from) && call.at().isBefore(to)) {
                counts.merge(call.instance(), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Instances refreshed by each replica in the scheduled cycle starting at {@code cycle}. */
    private static Map<String, Integer> shares(Connection db, Instant cycle) throws Exception {
        Map<String, Integer> shares = new HashMap<>();
        try (Statement statement = db.createStatement();
             ResultSet rs = statement.executeQuery("SELECT replica, total_instances FROM qr_refresher.refresh_runs"
                     + " WHERE trigger = 'schedule' AND started_at >= '" + cycle.minusSeconds(1) + "'"
                     + " AND started_at < '" + cycle.plusSeconds(CYCLE_SECONDS) + "'")) {
            while (rs.next()) {
                shares.put(rs.getString(1), rs.getInt(2));
            }
        }
        return shares;
    }

    private static Set<String> leaseOwners(Connection db, Set<String> names) throws Exception {
        Set<String> owners = new TreeSet<>();
        try (Statement statement = db.createStatement();
             ResultSet rs = statement.executeQuery("SELECT DISTINCT l.owner FROM qr_refresher.refresh_leases l"
                     + " JOIN evolution_instances e ON e.id = l.instance_id WHERE e.instance_name IN ('"
                     + String.join("','", names) + "')")) {
            while (rs.next()) {
                owners.add(rs.getString(1));
            }
        }
        return owners;
    }

    private static String replicaId(Connection db, ServiceProcess replica) throws Exception {
        try (Statement statement = db.createStatement();
             ResultSet rs = statement.executeQuery("SELECT DISTINCT replica FROM qr_refresher.refresh_runs"
                     + " WHERE replica LIKE '%:" + replica.pid() + ":%'")) {
            assertThat(rs.next()).isTrue();
            return rs.getString(1);
        }
    }

    private static long alerts(WebhookReceiver receiver, String status) {
        return receiver.deliveries().stream().map(delivery -> {
            try {
                return JSON.readTree(delivery.body());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).filter(alert -> alert.get("alert").asText().equals("qr_refresh_failures")
                && alert.get("status").asText().equals(status)).count();
    }

    /** Exchanges completed by the route check-qr-failures in this replica (Prometheus scrape). */
    /** How many multiples of {@code periodSeconds} (cron fire times) lie in [from, to]. */
    private static long checksRun(ServiceProcess replica) throws Exception {
        String scrape = replica.metrics();
        Matcher m = Pattern.compile("(?m)^camel_exchanges_total\\{[^}]*routeId=\"check-qr-failures\"[^}]*} ([0-9.E]+)$")
                .matcher(scrape);
        if (!m.find()) {
            throw new IllegalStateException("No exchange count of check-qr-failures in the scrape: "
                    + scrape.lines().filter(line -> line.contains("check-qr-failures")).toList());
        }
        return (long) Double.parseDouble(m.group(1));
    }

    private static void execute(Connection db, String sql) throws Exception {
        try (Statement statement = db.createStatement()) {
            statement.execute(sql);
        }
    }

    private static long count(Connection db, String sql) throws Exception {
        try (Statement statement = db.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
