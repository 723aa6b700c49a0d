package io.qrrefresher.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.qrrefresher.support.LatencyEvolutionApi;
import io.qrrefresher.support.ServiceProcess;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fleet of Evolution servers against one server of the same size: {@code mvn -B test -Pbenchmark
 * -Dtest=FleetBenchmark}. Prints the figures and writes {@code bench/FLEET.md}.
 * <p>
 * Four Evolution servers of 2 500 instances each (Vert.x stubs on loopback answering after 100 ms ± 20 ms,
 * {@link LatencyEvolutionApi}), the service in a JVM of its own (QR_REFRESH_CONCURRENCY=64,
 * EVOLUTION_SERVER_CONCURRENCY=16): all four healthy; one slowed to 3 s a call; that one down (its port closed). The
 * same slow server again without a per-server budget (EVOLUTION_SERVER_CONCURRENCY=64), and one server of 10 000
 * instances, for comparison. Each scenario is measured over scheduled runs (the cron retargeted through
 * {@code PUT /refresh-control}); for each run: its duration, and how fresh it left the healthy servers' instances:
 * how many it refreshed, how many within one QR lifetime (45 s) of its start, and when the last one was.
 * <p>
 * Knobs: {@code bench.fleet.servers} (4), {@code bench.fleet.per-server} (2500), {@code bench.fleet.cycles} (2),
 * {@code bench.fleet.concurrency} (64), {@code bench.fleet.server-concurrency} (16), {@code bench.fleet.slow-ms}
 * (3000).
 */
@Tag("benchmark")
class FleetBenchmark {

    static final int SERVERS = Integer.getInteger("bench.fleet.servers", 4);
    static final int PER_SERVER = Integer.getInteger("bench.fleet.per-server", 2500);
    static final int CYCLES = Integer.getInteger("bench.fleet.cycles", 2);
    static final int CONCURRENCY = Integer.getInteger("bench.fleet.concurrency", 64);
    static final int SERVER_CONCURRENCY = Integer.getInteger("bench.fleet.server-concurrency", 16);
    static final int SLOW_MS = Integer.getInteger("bench.fleet.slow-ms", 3000);
    static final int LATENCY_MS = 100;
    static final int JITTER_MS = 20;
    static final Duration QR_LIFETIME = Duration.ofSeconds(45);
    static final Pattern DEFERRED = Pattern.compile("(\\d+) deferred");

    @TempDir
    Path work;

    /** One scheduled run of one scenario, and what it left on the healthy servers. */
    record Run(String scenario, long millis, String status, int total, int failed, int deferred,
               long healthy, long healthyRefreshed, long healthyWithinLifetime, double healthyP95Seconds,
               double healthyLastSeconds, long slowRefreshed, boolean withSlowServer) {
    }

    @Test
    void aSlowOrDownServerLeavesTheOthersFresh() throws Exception {
        List<Run> runs = new ArrayList<>();
        List<LatencyEvolutionApi> servers = new ArrayList<>();
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder().setServerConfig("max_connections", "300")
                .start()) {
            for (int i = 0; i < SERVERS; i++) {
                servers.add(new LatencyEvolutionApi(LATENCY_MS, JITTER_MS));
            }
            int total = SERVERS * PER_SERVER;
            // one server holding every instance, for comparison
            try (ServiceProcess one = service(postgres, "one", servers.subList(0, 1), CONCURRENCY, total)) {
                measure(one, postgres, "one", "one server of " + total, 0, runs);
            }
            try (ServiceProcess fleet = service(postgres, "fleet", servers, SERVER_CONCURRENCY, total)) {
                measure(fleet, postgres, "fleet", SERVERS + " servers x " + PER_SERVER + ", all healthy", 0, runs);
                servers.get(SERVERS - 1).latency(SLOW_MS);
                measure(fleet, postgres, "fleet", "one server slowed to " + SLOW_MS + " ms a call", SERVERS, runs);
                servers.get(SERVERS - 1).close();
                measure(fleet, postgres, "fleet", "that server down (port closed)", SERVERS, runs);
            }
            servers.set(SERVERS - 1, new LatencyEvolutionApi(SLOW_MS, JITTER_MS));
            try (ServiceProcess unbounded = service(postgres, "unbounded", servers, CONCURRENCY, total)) {
                measure(unbounded, postgres, "unbounded", "one server slowed to " + SLOW_MS + " ms, no per-server"
                        + " budget (EVOLUTION_SERVER_CONCURRENCY=" + CONCURRENCY + ")", SERVERS, runs);
            }
        } finally {
            for (LatencyEvolutionApi server : servers) {
                try {
                    server.close();
                } catch (Exception e) {
                    // closed already (the server taken down)
                }
            }
        }
        String report = report(runs);
        Files.createDirectories(Path.of("bench"));
        Files.writeString(Path.of("bench", "FLEET.md"), report, StandardCharsets.UTF_8);
        System.out.println(report);
    }

    /** A service in its own JVM on a database of its own, with its rows: s1..sN, each row naming its server. */
    private ServiceProcess service(EmbeddedPostgres postgres, String name, List<LatencyEvolutionApi> servers,
                                   int serverConcurrency, int total) throws Exception {
        try (Connection admin = postgres.getPostgresDatabase().getConnection();
             Statement statement = admin.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS bench_" + name);
            statement.execute("CREATE DATABASE bench_" + name);
        }
        String url = postgres.getJdbcUrl("postgres", "bench_" + name);
        StringJoiner list = new StringJoiner(",");
        for (int i = 0; i < servers.size(); i++) {
            list.add("s" + (i + 1) + "=" + servers.get(i).baseUrl());
        }
        ServiceProcess service = ServiceProcess.against(servers.get(0).baseUrl(), "bench-key", url,
                        work.resolve(name))
                .env("QR_REFRESH_CONCURRENCY", String.valueOf(CONCURRENCY))
                .env("EVOLUTION_SERVER_CONCURRENCY", String.valueOf(serverConcurrency))
                .env("QR_REFRESH_ON_REQUEST", "false")
                .jvmOption("-Xmx256m");
        if (servers.size() > 1) {
            service.unset("EVOLUTION_API_BASE_URL").env("EVOLUTION_SERVERS", list.toString());
        }
        service.start();
        try (Connection db = java.sql.DriverManager.getConnection(url, "postgres", "");
             Statement statement = db.createStatement()) {
            statement.execute("INSERT INTO evolution_instances (instance_name, instance_token, instance_status,"
                    + " evolution_server) SELECT 'bench-' || lpad(g::text, 5, '0'), 'token-' || g, 'connecting', "
                    + (servers.size() > 1 ? "'s' || (1 + g % " + servers.size() + ")" : "NULL")
                    + " FROM generate_series(1, " + total + ") g");
        }
        return service;
    }

    /** One run to warm up, then CYCLES measured runs; {@code slow}: the server whose instances are not "healthy". */
    private void measure(ServiceProcess service, EmbeddedPostgres postgres, String database, String scenario,
                         int slow, List<Run> runs) throws Exception {
        String url = postgres.getJdbcUrl("postgres", "bench_" + database);
        try (Connection db = java.sql.DriverManager.getConnection(url, "postgres", "")) {
            run(service, db, scenario + " (warm-up)", slow);
            for (int i = 0; i < CYCLES; i++) {
                Run run = run(service, db, scenario, slow);
                runs.add(run);
                print(run);
            }
        }
    }

    /** Fires one scheduled run and reads what it did. */
    private Run run(ServiceProcess service, Connection db, String scenario, int slow) throws Exception {
        RefreshBenchmark.fireScheduledRunSoon(service);
        long lastRun;
        try (Statement statement = db.createStatement();
             ResultSet rs = statement.executeQuery("SELECT coalesce(max(id), 0) FROM qr_refresher.refresh_runs")) {
            rs.next();
            lastRun = rs.getLong(1);
        }
        AtomicReference<Object[]> ended = new AtomicReference<>();
        org.awaitility.Awaitility.await("a scheduled run that ends").atMost(Duration.ofMinutes(30))
                .pollInterval(Duration.ofMillis(50)).until(() -> {
                    try (PreparedStatement select = db.prepareStatement("SELECT status, total_instances, failed,"
                            + " round(EXTRACT(EPOCH FROM (ended_at - started_at)) * 1000), message, started_at"
                            + " FROM qr_refresher.refresh_runs WHERE id > ? AND trigger = 'schedule'"
                            + " AND ended_at IS NOT NULL ORDER BY id LIMIT 1")) {
                        select.setLong(1, lastRun);
                        try (ResultSet rs = select.executeQuery()) {
                            if (rs.next()) {
                                ended.set(new Object[] {rs.getString(1), rs.getInt(2), rs.getInt(3), rs.getLong(4),
                                        rs.getString(5), rs.getTimestamp(6)});
                            }
                        }
                    }
                    return ended.get() != null;
                });
        Object[] row = ended.get();
        Matcher deferred = DEFERRED.matcher(String.valueOf(row[4]));
        Timestamp started = (Timestamp) row[5];
        // with no slow server, every instance is healthy: compare with a name no row has
        String slowServer = slow == 0 ? "(none)" : "s" + slow;
        try (PreparedStatement select = db.prepareStatement("WITH t AS (SELECT CAST(? AS timestamptz) AS started,"
                + " CAST(? AS text) AS slow, make_interval(secs => ?) AS lifetime),"
                + " r AS (SELECT COALESCE(e.evolution_server, '') <> t.slow AS healthy,"
                + " e.last_qr_update >= t.started AS refreshed,"
                + " EXTRACT(EPOCH FROM (e.last_qr_update - t.started)) AS after_seconds, t.lifetime"
                + " FROM evolution_instances e CROSS JOIN t)"
                + " SELECT count(*) FILTER (WHERE healthy) AS healthy,"
                + " count(*) FILTER (WHERE healthy AND refreshed) AS refreshed,"
                + " count(*) FILTER (WHERE healthy AND refreshed"
                + "   AND after_seconds < EXTRACT(EPOCH FROM lifetime)) AS within_lifetime,"
                + " percentile_cont(0.95) WITHIN GROUP (ORDER BY after_seconds) FILTER (WHERE healthy AND refreshed)"
                + "   AS p95,"
                + " max(after_seconds) FILTER (WHERE healthy AND refreshed) AS last,"
                + " count(*) FILTER (WHERE NOT healthy AND refreshed) AS slow_refreshed FROM r")) {
            select.setTimestamp(1, started);
            select.setString(2, slowServer);
            select.setLong(3, QR_LIFETIME.toSeconds());
            try (ResultSet rs = select.executeQuery()) {
                rs.next();
                return new Run(scenario, (Long) row[3], (String) row[0], (Integer) row[1], (Integer) row[2],
                        deferred.find() ? Integer.parseInt(deferred.group(1)) : 0, rs.getLong("healthy"),
                        rs.getLong("refreshed"), rs.getLong("within_lifetime"), rs.getDouble("p95"),
                        rs.getDouble("last"), rs.getLong("slow_refreshed"), slow != 0);
            }
        }
    }

    private static void print(Run run) {
        System.out.printf(Locale.ROOT, "[figures] %s: run %.1f s (%s, %d done, %d failed, %d deferred); healthy"
                        + " instances %d, refreshed %d, within 45 s %d (%.1f %%), p95 %.1f s, last %.1f s;"
                        + " slow server's refreshed %d%n", run.scenario(), run.millis() / 1000.0, run.status(),
                run.total(), run.failed(), run.deferred(), run.healthy(), run.healthyRefreshed(),
                run.healthyWithinLifetime(), 100.0 * run.healthyWithinLifetime() / Math.max(1, run.healthy()),
                run.healthyP95Seconds(), run.healthyLastSeconds(), run.slowRefreshed());
    }

    private static String report(List<Run> runs) {
        StringBuilder md = new StringBuilder();
        md.append("# Fleet benchmark\n\n");
        md.append("Produced by `mvn -B test -Pbenchmark -Dtest=FleetBenchmark` on ")
                .append(LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")))
                .append(" UTC; it rewrites this file.\n\n");
        md.append("- ").append(Runtime.getRuntime().availableProcessors()).append(" cores; Java ")
                .append(System.getProperty("java.version")).append("; PostgreSQL embedded on the same machine\n");
        md.append("- ").append(SERVERS).append(" Evolution stubs on loopback (").append(LATENCY_MS).append(" ms ± ")
                .append(JITTER_MS).append(" ms a call, a new QR on every connect), ").append(PER_SERVER)
                .append(" connecting instances each, every row naming its server\n");
        md.append("- qr-refresher in its own JVM (-Xmx256m): QR_REFRESH_CONCURRENCY=").append(CONCURRENCY)
                .append(", EVOLUTION_SERVER_CONCURRENCY=").append(SERVER_CONCURRENCY)
                .append(" (unless said), 2 calls per instance, runs fired by its schedule; one warm-up run per")
                .append(" scenario, then ").append(CYCLES).append(" measured\n");
        md.append("- healthy: the instances of the servers that are not slowed or down (all of them when all are")
                .append(" healthy); within 45 s: refreshed less than one QR lifetime after the run started\n\n");
        md.append("| scenario | run | healthy refreshed | within 45 s | p95 | last | slow server's refreshed |")
                .append(" deferred | failed |\n");
        md.append("|---|---|---|---|---|---|---|---|---|\n");
        Map<String, List<Run>> byScenario = new LinkedHashMap<>();
        runs.forEach(run -> byScenario.computeIfAbsent(run.scenario(), key -> new ArrayList<>()).add(run));
        for (Map.Entry<String, List<Run>> entry : byScenario.entrySet()) {
            for (Run run : entry.getValue()) {
                md.append(String.format(Locale.ROOT, "| %s | %.1f s | %,d of %,d | %.1f %% | %.1f s | %.1f s | %s |"
                                + " %,d | %,d |%n", run.scenario(), run.millis() / 1000.0, run.healthyRefreshed(),
                        run.healthy(), 100.0 * run.healthyWithinLifetime() / Math.max(1, run.healthy()),
                        run.healthyP95Seconds(), run.healthyLastSeconds(),
                        run.withSlowServer() ? String.format(Locale.ROOT, "%,d", run.slowRefreshed()) : "n/a",
                        run.deferred(), run.failed()));
            }
        }
        return md.toString();
    }
}
