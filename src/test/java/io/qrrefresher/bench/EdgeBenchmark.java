package io.qrrefresher.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.qrrefresher.support.LatencyEvolutionApi;
import io.qrrefresher.support.Sampler;
import io.qrrefresher.support.ServiceProcess;
import io.qrrefresher.support.SharedPostgres;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;

/**
 * The edge under the three floods of the edge issue, at scale (run with
 * {@code mvn -B test -Pbenchmark -Dtest=EdgeBenchmark}; not part of the normal test run). The service runs in a JVM of
 * its own at {@code -Xmx512m}, as in a container, with its defaults. During each flood a watcher reads the service's
 * heap and open descriptors (its Prometheus scrape and /proc), times the management health, and a genuine webhook
 * (global token) is posted and timed every 250 ms:
 * <ol>
 * <li>2 000 anonymous 1 MB webhooks (a well-shaped fake per-instance token, a unique {@code server_url} each);</li>
 * <li>20 000 connections that send half a request line and then nothing, from ten addresses;</li>
 * <li>six threads of fake-token webhooks with a 1 000-character code and no image, for 30 s.</li>
 * </ol>
 * Figures go to the console and to {@code bench/EDGE.md}.
 */
@Tag("benchmark")
class EdgeBenchmark {

    /** Health probes the watcher made (the quiet phase is measured in probes, not seconds). */
    static final AtomicInteger HEALTH_PROBES = new AtomicInteger();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final Pattern HEAP = Pattern.compile("jvm_memory_used_bytes\\{[^}]*area=\"heap\"[^}]*} ([0-9.E+]+)");

    @TempDir
    Path work;

    @Test
    void theEdgeHoldsUnderFloods() throws Exception {
        String database = SharedPostgres.newDatabase();
        StringBuilder report = new StringBuilder("# The edge under floods\n\n");
        try (LatencyEvolutionApi evolution = new LatencyEvolutionApi(50, 10);
             ServiceProcess service = ServiceProcess.against(evolution.baseUrl(), "bench", database,
                             work.resolve("service"))
                     .env("EVOLUTION_WEBHOOK_TOKEN", Webhooks.TOKEN)
                     .jvmOption("-Xmx512m").jvmOption("-XX:+ExitOnOutOfMemoryError").start();
             Connection db = DriverManager.getConnection(database, "postgres", "")) {
            db.createStatement().execute("INSERT INTO evolution_instances (instance_name, instance_token,"
                    + " instance_status) VALUES ('genuine', 'token-genuine', 'connecting')");
            report.append(String.format(Locale.ROOT, "2 cores, service at -Xmx512m; %s%n%n", Instant.now()));
            report.append("| flood | answers | heap used max (MiB) | live heap after it (MiB, after a full GC) |"
                    + " descriptors max | management health p50 / max (ms) | genuine webhook p50 / max (ms) |\n"
                    + "|---|---|---|---|---|---|---|\n");
            report.append(phase(service, "quiet (baseline, 40 health probes)", () -> {
                int from = HEALTH_PROBES.get();
                await().atMost(Duration.ofMinutes(2)).until(() -> HEALTH_PROBES.get() >= from + 40);
                return "-";
            }));
            report.append(phase(service, "2 000 anonymous 1 MB webhooks", () -> anonymousWebhooks(service)));
            report.append(phase(service, "20 000 half-sent connections", () -> idleConnections(service)));
            report.append(phase(service, "6 threads of fake-token work, 30 s", () -> fakeTokenWork(service)));
            report.append(String.format(Locale.ROOT, "%nAfterwards: %s%n", service.isAlive() ? "the service is up"
                    : "THE SERVICE DIED"));
            String metrics = service.metrics();
            report.append("\n```\n");
            for (String line : metrics.split("\n")) {
                if (line.startsWith("qr_refresher_http_")) {
                    report.append(line).append('\n');
                }
            }
            report.append("```\n");
        }
        System.out.println(report);
        Files.createDirectories(Path.of("bench"));
        Files.writeString(Path.of("bench", "EDGE.md"), report);
    }

    interface Flood {
        String run() throws Exception;
    }

    /** Runs the flood while the watchers measure; one line of the report. */
    private String phase(ServiceProcess service, String name, Flood flood) throws Exception {
        List<Long> healthMillis = Collections.synchronizedList(new ArrayList<>());
        List<Long> webhookMillis = Collections.synchronizedList(new ArrayList<>());
        AtomicLong heapMax = new AtomicLong();
        AtomicLong descriptorsMax = new AtomicLong();
        AtomicInteger genuineFailures = new AtomicInteger();
        // every 250 ms after the last: management health (with heap and descriptors), and a genuine webhook
        Sampler watch = Sampler.start(Duration.ofMillis(250), () -> {
            long started = System.nanoTime();
            try {
                HTTP.send(HttpRequest.newBuilder(service.managementUrl("/observe/health/live"))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding());
                healthMillis.add((System.nanoTime() - started) / 1_000_000);
                Matcher heap = HEAP.matcher(service.metrics());
                long used = 0;
                while (heap.find()) {
                    used += (long) Double.parseDouble(heap.group(1));
                }
                heapMax.accumulateAndGet(used / (1024 * 1024), Math::max);
                descriptorsMax.accumulateAndGet(descriptors(service.pid()), Math::max);
            } catch (Exception e) {
                healthMillis.add(30_000L);
            }
            HEALTH_PROBES.incrementAndGet();
        });
        AtomicInteger sent = new AtomicInteger();
        Sampler genuine = Sampler.start(Duration.ofMillis(250), () -> {
            long started = System.nanoTime();
            try {
                HttpResponse<String> answer = post(service, "/webhooks/evolution?token=" + Webhooks.TOKEN,
                        Webhooks.qrEvent("genuine", "2@genuine-" + name.hashCode() + "-" + sent.getAndIncrement(),
                                null));
                if (answer.statusCode() != 200) {
                    genuineFailures.incrementAndGet();
                }
                webhookMillis.add((System.nanoTime() - started) / 1_000_000);
            } catch (Exception e) {
                genuineFailures.incrementAndGet();
            }
        });
        String answers;
        try {
            answers = flood.run();
        } finally {
            watch.close();
            genuine.close();
        }
        return String.format(Locale.ROOT, "| %s | %s | %d | %d | %d | %s | %s%s |%n", name, answers, heapMax.get(),
                liveHeapMb(service), descriptorsMax.get(),
                percentiles(healthMillis), percentiles(webhookMillis),
                genuineFailures.get() == 0 ? "" : " (" + genuineFailures.get() + " not 200)");
    }

    private static String anonymousWebhooks(ServiceProcess service) throws Exception {
        String padding = "y".repeat(1_000_000);
        String fake = "ab".repeat(32);
        ExecutorService senders = Executors.newFixedThreadPool(8);
        List<Future<Integer>> answers = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            int n = i;
            answers.add(senders.submit(() -> post(service, "/webhooks/evolution?token=" + fake,
                    "{\"event\":\"qrcode.updated\",\"instance\":\"genuine\",\"server_url\":\"https://x" + n
                            + ".example/" + padding.substring(0, 1_000_000 - 200) + "\",\"date_time\":\""
                            + Instant.now().plus(Duration.ofHours(14)) + "\",\"data\":{\"qrcode\":{\"code\":\"2@x\"}}}")
                    .statusCode()));
        }
        return statuses(answers, senders);
    }

    private static String idleConnections(ServiceProcess service) throws Exception {
        int port = service.url("/").getPort();
        List<SocketChannel> open = new ArrayList<>();
        int attempts = 0;
        int refusedAtOnce = 0;
        ByteBuffer half = ByteBuffer.wrap("GET /refresh-runs HT".getBytes(StandardCharsets.US_ASCII));
        for (int batch = 0; batch < 20; batch++) {
            List<SocketChannel> fresh = new ArrayList<>();
            for (int i = 0; i < 1_000; i++) {
                SocketChannel channel = SocketChannel.open();
                channel.bind(new InetSocketAddress(InetAddress.getByName("127.0.0." + (2 + attempts % 10)), 0));
                try {
                    channel.connect(new InetSocketAddress("127.0.0.1", port));
                    channel.write(half.duplicate());
                    fresh.add(channel);
                } catch (IOException e) {
                    channel.close();
                    refusedAtOnce++;
                }
                attempts++;
            }
            // the client keeps what the server keeps: its own descriptors are 20 000 at most too. One request from
            // another address goes through the same acceptor after the batch: once it is answered (or refused), the
            // server has accepted or closed every connection before it
            try {
                HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/")).timeout(
                        Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding());
            } catch (IOException e) {
                // refused: the overall cap is reached, which is an answer too
            }
            for (SocketChannel channel : fresh) {
                channel.configureBlocking(false);
                int read;
                try {
                    read = channel.read(ByteBuffer.allocate(64));
                } catch (IOException e) {
                    read = -1;
                }
                if (read < 0) {
                    channel.close();
                    refusedAtOnce++;
                } else {
                    open.add(channel);
                }
            }
        }
        int held = open.size();
        // the header deadline (HTTP_HEADER_TIMEOUT_MS, 10 s) closes the rest: await every one closed (those still
        // open after 30 s are counted below)
        try {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
                for (SocketChannel channel : open) {
                    channel.configureBlocking(false);
                    if (channel.read(ByteBuffer.allocate(64)) >= 0) {
                        return false;
                    }
                }
                return true;
            });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // counted below
        }
        int stillOpen = 0;
        for (SocketChannel channel : open) {
            int read;
            try {
                read = channel.read(ByteBuffer.allocate(64));
            } catch (IOException e) {
                read = -1;
            }
            if (read >= 0) {
                stillOpen++;
            }
            channel.close();
        }
        return String.format(Locale.ROOT, "%d closed at once, %d held until the header deadline, %d open after it",
                refusedAtOnce, held, stillOpen);
    }

    private static String fakeTokenWork(ServiceProcess service) throws Exception {
        String longCode = "2@" + "A".repeat(998);
        String body = "{\"event\":\"qrcode.updated\",\"instance\":\"genuine\",\"data\":{\"qrcode\":{\"code\":\""
                + longCode + "\"}}}";
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        ExecutorService senders = Executors.newFixedThreadPool(6);
        java.util.Map<Integer, AtomicInteger> counts = new java.util.concurrent.ConcurrentSkipListMap<>();
        List<Future<?>> threads = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            threads.add(senders.submit(() -> {
                while (System.nanoTime() < end) {
                    int status;
                    try {
                        status = post(service, "/webhooks/evolution?token=" + "cd".repeat(32), body).statusCode();
                    } catch (Exception e) {
                        status = -1;
                    }
                    counts.computeIfAbsent(status, key -> new AtomicInteger()).incrementAndGet();
                }
            }));
        }
        for (Future<?> thread : threads) {
            thread.get();
        }
        senders.shutdown();
        return counts.toString().replace("-1=", "failed=");
    }

    private static String statuses(List<Future<Integer>> answers, ExecutorService senders) throws Exception {
        java.util.Map<Integer, Integer> counts = new java.util.TreeMap<>();
        for (Future<Integer> answer : answers) {
            int status;
            try {
                status = answer.get();
            } catch (Exception e) {
                status = -1;
            }
            counts.merge(status, 1, Integer::sum);
        }
        senders.shutdown();
        return counts.toString().replace("-1=", "failed=");
    }

    private static HttpResponse<String> post(ServiceProcess service, String pathAndQuery, String body)
            throws Exception {
        return HTTP.send(HttpRequest.newBuilder(service.url(pathAndQuery)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The heap in use right after a full collection (jcmd GC.run): what the flood left behind. */
    private static long liveHeapMb(ServiceProcess service) throws Exception {
        Process gc = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                String.valueOf(service.pid()), "GC.run").redirectErrorStream(true).start();
        gc.getInputStream().readAllBytes();
        gc.waitFor();
        Matcher heap = HEAP.matcher(service.metrics());
        long used = 0;
        while (heap.find()) {
            used += (long) Double.parseDouble(heap.group(1));
        }
        return used / (1024 * 1024);
    }

    private static long descriptors(long pid) {
        String[] entries = Path.of("/proc", String.valueOf(pid), "fd").toFile().list();
        return entries == null ? -1 : entries.length;
    }

    private static String percentiles(List<Long> millis) {
        if (millis.isEmpty()) {
            return "-";
        }
        List<Long> sorted = new ArrayList<>(millis);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2) + " / " + sorted.get(sorted.size() - 1);
    }

}
