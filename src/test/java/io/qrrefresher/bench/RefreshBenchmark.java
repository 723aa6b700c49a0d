package io.qrrefresher.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import io.qrrefresher.support.LatencyEvolutionApi;
import io.qrrefresher.support.ServiceProcess;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Full refresh cycles of N connecting instances (100, 1 000, 10 000), ours against the design we replace, in the same
 * run: {@code mvn -B test -Pbenchmark -Dtest=RefreshBenchmark}. Prints the figures and writes {@code bench/RESULTS.md}.
 * <p>
 * Everything is real and on loopback: an embedded PostgreSQL 17 with pg_stat_statements (statements per cycle), a
 * Vert.x Evolution API answering after 100 ms ± 20 ms ({@link LatencyEvolutionApi}), the service in a JVM of its own
 * capped at {@code -Xmx256m} and started as in a container (memory figures are its own), cycles fired by its own
 * Quartz schedule (retargeted through {@code PUT /refresh-control} to fire once, a few seconds ahead) and timed from
 * its run history. The baseline ({@link SequentialBaseline}) runs in a JVM of its own too, with the same heap cap.
 * <p>
 * Knobs (system properties): {@code bench.sizes} (100,1000,10000), {@code bench.cycles} (3), {@code bench.concurrency}
 * (64), {@code bench.latency-ms} (100), {@code bench.jitter-ms} (20), {@code bench.heap} (256m),
 * {@code bench.baseline-max-cycle-seconds} (1200: a longer baseline cycle is estimated from the largest one measured,
 * and marked so).
 */
@Tag("benchmark")
class RefreshBenchmark {

    static final List<Integer> SIZES = Arrays.stream(System.getProperty("bench.sizes", "100,1000,10000").split(","))
            .map(String::trim).map(Integer::parseInt).toList();
    static final int CYCLES = Integer.getInteger("bench.cycles", 3);
    static final int CONCURRENCY = Integer.getInteger("bench.concurrency", 64);
    static final int LATENCY_MS = Integer.getInteger("bench.latency-ms", 100);
    static final int JITTER_MS = Integer.getInteger("bench.jitter-ms", 20);
    static final String HEAP = System.getProperty("bench.heap", "256m");
    static final int BASELINE_MAX_SECONDS = Integer.getInteger("bench.baseline-max-cycle-seconds", 1200);
    /** Evolution calls per instance per cycle: connectionState, then connect (ours); connect only (the baseline). */
    /** Instance refreshes the service makes before it is measured, as a long-running service would have. */
    static final int WARM_UP_REFRESHES = Integer.getInteger("bench.warm-up-refreshes", 3000);
    static final int OUR_CALLS = 2;
    static final int BASELINE_CALLS = 1;

    @TempDir
    Path work;

    /** What one design did at one size. */
    record Figures(String design, int instances, List<Long> cycleMillis, double floorSeconds, long heapPeakMb,
                   long liveHeapMb, long rssPeakMb, double statementsPerCycle, double updatesPerCycle,
                   Double updatesUnchanged, int maxInFlight, boolean estimated) {

        double medianSeconds() {
            List<Long> sorted = cycleMillis.stream().sorted().toList();
            int middle = sorted.size() / 2;
            long millis = sorted.size() % 2 == 1 ? sorted.get(middle) : (sorted.get(middle - 1) + sorted.get(middle)) / 2;
            return millis / 1000.0;
        }

        double instancesPerSecond() {
            return instances / medianSeconds();
        }

        double efficiency() {
            return floorSeconds / medianSeconds();
        }
    }

    /** Totals from pg_stat_statements, this database only, the benchmark's own queries left out. */
    record Statements(long all, long updates) {
        Statements minus(Statements before) {
            return new Statements(all - before.all, updates - before.updates);
        }
    }

    @Test
    void refreshCyclesAgainstTheSequentialBaseline() throws Exception {
        List<Figures[]> rows = new ArrayList<>();
        try (EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setServerConfig("shared_preload_libraries", "pg_stat_statements")
                .setServerConfig("max_connections", "300")
                .start();
             LatencyEvolutionApi evolution = new LatencyEvolutionApi(LATENCY_MS, JITTER_MS)) {
            Figures largestBaseline = null;
            for (int size : SIZES) {
                String database = "bench_" + size;
                try (Connection admin = postgres.getPostgresDatabase().getConnection();
                     Statement statement = admin.createStatement()) {
                    statement.execute("DROP DATABASE IF EXISTS " + database);
                    statement.execute("CREATE DATABASE " + database);
                }
                String url = postgres.getJdbcUrl("postgres", database);
                Figures ours = measureOurs(evolution, url, size);
                print(ours);
                Figures baseline = measureBaseline(evolution, url, size, largestBaseline);
                if (!baseline.estimated()) {
                    largestBaseline = baseline;
                }
                print(baseline);
                System.out.printf(Locale.ROOT, "[figures] N=%d: qr-refresher is %.1fx faster than the sequential"
                        + " baseline%s%n", size, baseline.medianSeconds() / ours.medianSeconds(),
                        baseline.estimated() ? " (baseline estimated)" : "");
                rows.add(new Figures[] {ours, baseline});
            }
            String report = report(rows, postgres);
            Files.createDirectories(Path.of("bench"));
            Files.writeString(Path.of("bench", "RESULTS.md"), report, StandardCharsets.UTF_8);
            System.out.println(report);
        }
    }

    private Figures measureOurs(LatencyEvolutionApi evolution, String url, int size) throws Exception {
        Path directory = work.resolve("service-" + size);
        Path gcLog = directory.resolve("gc.log");
        Files.createDirectories(directory);
        try (ServiceProcess service = ServiceProcess.against(evolution.baseUrl(), "bench-key", url, directory)
                .env("QR_REFRESH_CONCURRENCY", String.valueOf(CONCURRENCY))
                // the rows are loaded while the service runs: refresh them on the schedule only
                .env("QR_REFRESH_ON_REQUEST", "false")
                .jvmOption("-Xmx" + HEAP)
                .jvmOption("-Xlog:gc:file=" + gcLog)
                .start();
             Connection db = java.sql.DriverManager.getConnection(url, "postgres", "")) {
            try (Statement statement = db.createStatement()) {
                statement.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
                statement.execute("INSERT INTO evolution_instances (instance_name, instance_token, instance_status)"
                        + " SELECT 'bench-' || lpad(g::text, 5, '0'), 'token-' || g, 'connecting'"
                        + " FROM generate_series(1, " + size + ") g");
            }
            runCycle(service, db, size); // first QR of every instance
            warmUp(service, size);
            List<Long> millis = new ArrayList<>();
            long statements = 0;
            long updates = 0;
            evolution.takeMaxInFlight();
            for (int i = 0; i < CYCLES; i++) {
                Cycle cycle = runCycle(service, db, size);
                millis.add(cycle.millis());
                statements += cycle.statements().all();
                updates += cycle.statements().updates();
            }
            int maxInFlight = evolution.takeMaxInFlight();
            evolution.rotating(false);
            Statements unchanged = runCycle(service, db, size).statements();
            evolution.rotating(true);
            long rssKb = ProcessMemory.rssPeakKb(service.pid());
            service.close();
            ProcessMemory.HeapPeaks heap = ProcessMemory.heapPeaks(gcLog);
            return new Figures("qr-refresher, concurrency " + CONCURRENCY, size, millis,
                    floorSeconds(size, OUR_CALLS, CONCURRENCY), heap.usedBeforeGcMb(), heap.liveAfterGcMb(),
                    rssKb / 1024, (double) statements / CYCLES, (double) updates / CYCLES,
                    (double) unchanged.updates(), maxInFlight, false);
        }
    }

    /** Manual runs (answered when they end) until the JIT has seen as many refreshes as a running service has. */
    private static void warmUp(ServiceProcess service, int size) throws Exception {
        for (int done = size; done < WARM_UP_REFRESHES; done += size) {
            // 409: the scheduled run just recorded its end and is still letting go of the run lock
            java.util.concurrent.atomic.AtomicReference<java.net.http.HttpResponse<String>> last =
                    new java.util.concurrent.atomic.AtomicReference<>();
            try {
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                        .until(() -> {
                            last.set(service.send("POST", "/refresh-qr-codes", null));
                            return last.get().statusCode() != 409;
                        });
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // reported below with the last answer
            }
            var answer = last.get();
            if (answer.statusCode() != 200) {
                throw new IllegalStateException("Warm-up run answered " + answer.statusCode() + ": " + answer.body());
            }
        }
    }

    /** One scheduled run: its duration from the run history, and the statements sent while it ran. */
    record Cycle(long millis, Statements statements) {
    }

    /**
     * Fires one scheduled run: the cron is set, through the admin API, to a second a little ahead (and then once an
     * hour, so it never fires twice during a measurement).
     */
    private Cycle runCycle(ServiceProcess service, Connection db, int size) throws Exception {
        fireScheduledRunSoon(service);
        long lastRun = queryLong(db, "/* bench */ SELECT coalesce(max(id), 0) FROM qr_refresher.refresh_runs");
        Statements before = statements(db);
        java.util.concurrent.atomic.AtomicReference<Cycle> cycle = new java.util.concurrent.atomic.AtomicReference<>();
        org.awaitility.Awaitility.await("a scheduled run that ends").atMost(Duration.ofMinutes(30))
                .pollInterval(Duration.ofMillis(20)).until(() -> {
            try (PreparedStatement select = db.prepareStatement("/* bench */ SELECT status, total_instances, failed,"
                    + " round(EXTRACT(EPOCH FROM (ended_at - started_at)) * 1000), message"
                    + " FROM qr_refresher.refresh_runs WHERE id > ? AND trigger = 'schedule' AND ended_at IS NOT NULL"
                    + " ORDER BY id LIMIT 1")) {
                select.setLong(1, lastRun);
                try (ResultSet rs = select.executeQuery()) {
                    if (rs.next()) {
                        if (!"succeeded".equals(rs.getString(1)) || rs.getInt(2) != size || rs.getInt(3) != 0) {
                            throw new IllegalStateException("The run did not refresh " + size + " instances cleanly: "
                                    + rs.getString(1) + ", " + rs.getInt(2) + " instances, " + rs.getInt(3)
                                    + " failed: " + rs.getString(5));
                        }
                        cycle.set(new Cycle(rs.getLong(4), statements(db).minus(before)));
                    }
                }
            }
            return cycle.get() != null;
        });
        return cycle.get();
    }

    /**
     * Retargets the service's schedule, through the admin API, to a second a little ahead (and then once an hour, so
     * that it never fires twice during a measurement).
     */
    static void fireScheduledRunSoon(ServiceProcess service) throws Exception {
        LocalDateTime fire = LocalDateTime.now().plusSeconds(3).withNano(0);
        String cron = fire.getSecond() + " " + fire.getMinute() + " * * * ?";
        var answer = service.send("PUT", "/refresh-control", "{\"cron\":\"" + cron + "\"}");
        if (answer.statusCode() != 200) {
            throw new IllegalStateException("PUT /refresh-control answered " + answer.statusCode() + ": "
                    + answer.body());
        }
    }

    private Figures measureBaseline(LatencyEvolutionApi evolution, String url, int size, Figures largestMeasured)
            throws Exception {
        double floor = floorSeconds(size, BASELINE_CALLS, 1);
        if (floor > BASELINE_MAX_SECONDS && largestMeasured != null) {
            double scale = (double) size / largestMeasured.instances();
            return new Figures("sequential baseline (estimated)", size,
                    List.of(Math.round(largestMeasured.medianSeconds() * scale * 1000)), floor, -1, -1, -1,
                    largestMeasured.statementsPerCycle() * scale, largestMeasured.updatesPerCycle() * scale,
                    null, 1, true);
        }
        int cycles = floor > 120 ? 1 : CYCLES;
        Path gcLog = work.resolve("baseline-" + size + "-gc.log");
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + HEAP, "-Xlog:gc:file=" + gcLog, "-cp", ServiceProcess.testClassPath(),
                SequentialBaseline.class.getName(), evolution.baseUrl().toString(), url, String.valueOf(cycles));
        List<Long> millis = new ArrayList<>();
        long updates = 0;
        long rssKb = -1;
        try (Connection db = java.sql.DriverManager.getConnection(url, "postgres", "")) {
            Statements before = statements(db);
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                String line;
                while ((line = out.readLine()) != null) {
                    String[] parts = line.split(" ");
                    if (parts[0].equals("cycle")) {
                        millis.add(Long.parseLong(parts[1]));
                        updates += Long.parseLong(parts[2]);
                    } else if (parts[0].equals("rss-peak-kb")) {
                        rssKb = Long.parseLong(parts[1]);
                    }
                }
            }
            if (!process.waitFor(1, TimeUnit.MINUTES) || process.exitValue() != 0 || millis.size() != cycles
                    || updates != (long) size * cycles) {
                throw new IllegalStateException("The baseline did not refresh " + size + " instances " + cycles
                        + " times (" + updates + " updates)");
            }
            Statements used = statements(db).minus(before);
            ProcessMemory.HeapPeaks heap = ProcessMemory.heapPeaks(gcLog);
            return new Figures("sequential baseline", size, millis, floor, heap.usedBeforeGcMb(),
                    heap.liveAfterGcMb(), rssKb / 1024, (double) used.all() / cycles, (double) used.updates() / cycles,
                    null, 1, false);
        }
    }

    private static double floorSeconds(int instances, int callsPerInstance, int concurrency) {
        return (double) instances * callsPerInstance * LATENCY_MS / 1000.0 / concurrency;
    }

    private static Statements statements(Connection db) throws SQLException {
        try (Statement statement = db.createStatement();
             ResultSet rs = statement.executeQuery("/* bench */ SELECT coalesce(sum(calls), 0),"
                     + " coalesce(sum(calls) FILTER (WHERE query ILIKE '%UPDATE evolution_instances%'), 0)"
                     + " FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database"
                     + " WHERE datname = current_database()) AND query NOT LIKE '/* bench */%'")) {
            rs.next();
            return new Statements(rs.getLong(1), rs.getLong(2));
        }
    }

    private static long queryLong(Connection db, String sql) throws SQLException {
        try (Statement statement = db.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void print(Figures f) {
        System.out.printf(Locale.ROOT, "[figures] N=%d %s: cycle median %.2f s of %s, %.0f instances/s, floor %.2f s,"
                        + " efficiency %.2f, heap peak %s, RSS peak %s, %.0f statements/cycle (%.0f UPDATEs)%s,"
                        + " Evolution calls in flight at most %d%n",
                f.instances(), f.design(), f.medianSeconds(), f.cycleMillis(), f.instancesPerSecond(),
                f.floorSeconds(), f.efficiency(), mb(f.heapPeakMb()), mb(f.rssPeakMb()), f.statementsPerCycle(),
                f.updatesPerCycle(), f.updatesUnchanged() == null ? ""
                        : String.format(Locale.ROOT, ", %.0f UPDATEs when no QR changed", f.updatesUnchanged()),
                f.maxInFlight());
    }

    private static String mb(long value) {
        return value < 0 ? "n/a" : value + " MiB";
    }

    private static String report(List<Figures[]> rows, EmbeddedPostgres postgres) throws Exception {
        StringBuilder md = new StringBuilder();
        md.append("# Refresh benchmark\n\n");
        md.append("Produced by `mvn -B test -Pbenchmark -Dtest=RefreshBenchmark` on ")
                .append(LocalDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm")))
                .append(" UTC. Regenerate it with that command; it rewrites this file.\n\n");
        md.append("## Machine and settings\n\n");
        md.append("- ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ").append(cpuModel())
                .append(", ").append(memTotal()).append(" RAM; Java ").append(System.getProperty("java.version"))
                .append("; PostgreSQL ").append(serverVersion(postgres)).append(" (embedded, same machine)\n");
        md.append("- Evolution API stub on loopback: every call answered after ").append(LATENCY_MS).append(" ms ± ")
                .append(JITTER_MS).append(" ms (uniform); every connect shows a new QR code (a real PNG, ")
                .append("about 1.5 KB of base64), so every cycle stores every instance\n");
        md.append("- qr-refresher: its own JVM, `-Xmx").append(HEAP).append("`, QR_REFRESH_CONCURRENCY=")
                .append(CONCURRENCY).append(", other settings default; ").append(OUR_CALLS)
                .append(" calls per instance (connectionState, then connect); cycles fired by its Quartz schedule\n");
        md.append("- Baseline: the design we replace, one instance after the other, ").append(BASELINE_CALLS)
                .append(" call (connect) and one UPDATE per instance; its own JVM, `-Xmx").append(HEAP).append("`\n");
        md.append("- Cycle: median of ").append(CYCLES)
                .append(" cycles after a warm-up (one scheduled cycle, then manual runs up to ").append(WARM_UP_REFRESHES).append(" instance refreshes, as a service that has been running; a baseline cycle ")
                .append("longer than 2 minutes is run once); duration from the run history (ours) or the loop ")
                .append("(baseline)\n");
        md.append("- Floor = N × calls per instance × latency / concurrency (what the Evolution latency alone ")
                .append("allows); efficiency = floor / measured\n");
        md.append("- Heap peak: the most heap used before a collection, from the GC log (live set after GC in ")
                .append("brackets); RSS peak: VmHWM of the process\n");
        md.append("- Statements: pg_stat_statements calls in the database during a cycle, everything the process ")
                .append("sent (listener heartbeats included)\n\n");
        md.append("## Results\n\n");
        md.append("| N | design | cycle (median) | instances/s | floor | efficiency | heap peak (live) | RSS peak | ")
                .append("statements / cycle | UPDATEs / cycle | UPDATEs, no QR changed | ours vs baseline |\n");
        md.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Figures[] pair : rows) {
            Figures ours = pair[0];
            Figures baseline = pair[1];
            double ratio = baseline.medianSeconds() / ours.medianSeconds();
            md.append(row(ours, String.format(Locale.ROOT, "**%.1fx faster**", ratio)));
            md.append(row(baseline, ""));
        }
        md.append("\nQR_REFRESH_CONCURRENCY bounds the Evolution calls in flight: the stub saw at most ");
        md.append(rows.stream().mapToInt(pair -> pair[0].maxInFlight()).max().orElse(0))
                .append(" at once.\n");
        return md.toString();
    }

    private static String row(Figures f, String ratio) {
        String unchanged = f.updatesUnchanged() == null
                ? (f.design().startsWith("sequential") ? "N (writes every row)" : "")
                : String.format(Locale.ROOT, "%.0f", f.updatesUnchanged());
        return String.format(Locale.ROOT, "| %,d | %s | %s | %,.0f | %.1f s | %.2f | %s | %s | %,.0f | %,.0f | %s | %s |%n",
                f.instances(), f.design(), f.estimated() ? String.format(Locale.ROOT, "~%.0f s (est.)",
                        f.medianSeconds()) : String.format(Locale.ROOT, "%.2f s", f.medianSeconds()),
                f.instancesPerSecond(), f.floorSeconds(), f.efficiency(),
                f.heapPeakMb() < 0 ? "n/a" : f.heapPeakMb() + " MiB (" + f.liveHeapMb() + ")",
                mb(f.rssPeakMb()), f.statementsPerCycle(), f.updatesPerCycle(), unchanged, ratio);
    }

    private static String cpuModel() throws IOException {
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.exists(cpuinfo)) {
            for (String line : Files.readAllLines(cpuinfo)) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        }
        return System.getProperty("os.arch");
    }

    private static String memTotal() throws IOException {
        Path meminfo = Path.of("/proc/meminfo");
        if (Files.exists(meminfo)) {
            for (String line : Files.readAllLines(meminfo)) {
                if (line.startsWith("MemTotal:")) {
                    long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return String.format(Locale.ROOT, "%.0f GiB", kb / 1024.0 / 1024.0);
                }
            }
        }
        return "unknown";
    }

    private static String serverVersion(EmbeddedPostgres postgres) throws SQLException {
        try (Connection connection = postgres.getPostgresDatabase().getConnection()) {
            return connection.getMetaData().getDatabaseProductVersion();
        }
    }
}
