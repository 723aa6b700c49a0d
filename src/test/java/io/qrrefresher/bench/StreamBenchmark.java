package io.qrrefresher.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.qrrefresher.access.ViewerTokens;
import io.qrrefresher.demo.EvolutionSimulator;
import io.qrrefresher.support.ServiceProcess;
import io.qrrefresher.support.SharedPostgres;
import io.qrrefresher.support.TestImages;
import io.qrrefresher.support.Webhooks;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.awaitility.Awaitility.await;

/**
 * The live stream under load (run with {@code mvn -B test -Pbenchmark -Dtest=StreamBenchmark}; not part of the
 * normal test run). The service runs in a JVM of its own at {@code -Xmx512m}, as in a container.
 * <ol>
 * <li>10 000 clients on one instance whose QR (a 20 KB PNG) rotates every 3 s for 60 s: heap peak, time from the
 * webhook to each client (median, p99) and to the last client, and whether the process stays healthy (liveness, and
 * a webhook answered during the load).</li>
 * <li>1 000 clients that connect and hang up, in a loop for 60 s: the client gauge and the live heap after it, against
 * the baseline before.</li>
 * </ol>
 * Figures go to the console and to {@code bench/STREAMS.md}.
 */
@Tag("benchmark")
class StreamBenchmark {

    static final int CLIENTS = Integer.getInteger("bench.stream-clients", 10_000);
    static final int CHURN_CLIENTS = 1_000;
    static final Duration ROTATION = Duration.ofSeconds(3);
    static final Duration MEASURE = Duration.ofSeconds(60);
    static final String VIEWER_SECRET = "bench-viewer-secret-0123456789abcdef0123";
    static final Pattern ID = Pattern.compile("(?m)^id: (\\d+)$");
    static final HttpClient HTTP = HttpClient.newHttpClient();

    @TempDir
    Path work;

    @Test
    void tenThousandClientsThenChurn() throws Exception {
        String database = SharedPostgres.newDatabase();
        Path gcLog = work.resolve("service").resolve("gc.log");
        Files.createDirectories(gcLog.getParent());
        StringBuilder report = new StringBuilder("# Live stream benchmark\n\n");
        Vertx vertx = Vertx.vertx();
        NetClient net = vertx.createNetClient(new NetClientOptions().setConnectTimeout(10_000));
        try (EvolutionSimulator evolution = EvolutionSimulator.builder().globalApiKey("bench").start();
             ServiceProcess service = ServiceProcess.against(evolution.baseUrl(), "bench", database, work.resolve("service"))
                     .env("EVOLUTION_WEBHOOK_TOKEN", Webhooks.TOKEN)
                     .env("VIEWER_TOKEN_SECRET", VIEWER_SECRET)
                     .env("QR_STREAM_MAX_CLIENTS", String.valueOf(CLIENTS + 100))
                     .env("QR_STREAM_MAX_CLIENTS_PER_INSTANCE", String.valueOf(CLIENTS + 100))
                     .env("QR_STREAM_MAX_PENDING", "1000")
                     .jvmOption("-Xmx512m")
                     .jvmOption("-XX:+ExitOnOutOfMemoryError")
                     .jvmOption("-Xlog:gc:file=" + gcLog)
                     .start();
             Connection db = DriverManager.getConnection(database, "postgres", "")) {
            try (Statement statement = db.createStatement()) {
                statement.execute("INSERT INTO evolution_instances (instance_name, instance_token, instance_status)"
                        + " VALUES ('crowd', 'token-crowd', 'connecting'), ('churn', 'token-churn', 'connecting')");
            }
            List<String> images = new ArrayList<>();
            for (int i = 0; i <= MEASURE.toMillis() / ROTATION.toMillis(); i++) {
                images.add(TestImages.pngDataUrl(20_000, i));
            }
            String image = images.get(0);
            URI webhook = service.url("/webhooks/evolution?token=" + Webhooks.TOKEN);
            post(webhook, qrEvent("crowd", 0, image));
            long baselineLiveMb = liveHeapAfterFullGc(service, gcLog);

            // 1. ten thousand clients, one QR rotating
            ViewerTokens tokens = new ViewerTokens(java.util.Optional.of(VIEWER_SECRET), Duration.ofMinutes(30));
            String crowdToken = mint(tokens, db, "crowd");
            AtomicLong rotationPostedNanos = new AtomicLong();
            ConcurrentLinkedQueue<Long> latenciesMicros = new ConcurrentLinkedQueue<>();
            List<AtomicLong> lastArrival = Collections.synchronizedList(new ArrayList<>());
            AtomicInteger streaming = new AtomicInteger();
            List<NetSocket> sockets = Collections.synchronizedList(new ArrayList<>());
            long connectStart = System.nanoTime();
            for (int opened = 0; opened < CLIENTS; opened += 500) {
                CountDownLatch batch = new CountDownLatch(Math.min(500, CLIENTS - opened));
                for (int i = 0; i < batch.getCount(); i++) {
                    openClient(net, service.url("/").getPort(), "crowd", crowdToken, batch, streaming, sockets,
                            rotationPostedNanos, latenciesMicros, lastArrival);
                }
                if (!batch.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("clients did not get their streams: " + streaming.get());
                }
            }
            double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
            String gauge = gauge(service, "qr_refresher_stream_clients");

            List<Long> webhookMillis = new ArrayList<>();
            int rotations = (int) (MEASURE.toMillis() / ROTATION.toMillis());
            List<Long> lastClientMillis = new ArrayList<>();
            for (int r = 1; r <= rotations; r++) {
                AtomicLong last = new AtomicLong();
                lastArrival.add(last);
                long posted = System.nanoTime();
                rotationPostedNanos.set(posted);
                HttpResponse<String> answer = post(webhook, qrEvent("crowd", r, images.get(r)));
                webhookMillis.add((System.nanoTime() - posted) / 1_000_000);
                if (answer.statusCode() != 200) {
                    throw new IllegalStateException("webhook answered " + answer.statusCode() + ": " + answer.body());
                }
                // the next QR once every streaming client has drawn this one (ROTATION bounds the wait)
                int received = r;
                try {
                    await().atMost(ROTATION.multipliedBy(10)).pollInterval(Duration.ofMillis(50))
                            .until(() -> latenciesMicros.size() >= (long) received * streaming.get());
                } catch (org.awaitility.core.ConditionTimeoutException e) {
                    // some clients missed it: the figures below say how many
                }
                lastClientMillis.add(last.get() == 0 ? -1 : (last.get() - posted) / 1_000_000);
            }
            int live = liveness(service);
            long rssMb = ProcessMemory.rssPeakKb(service.pid()) / 1024;
            ProcessMemory.HeapPeaks crowdHeap = ProcessMemory.heapPeaks(gcLog);
            List<Long> sorted = new ArrayList<>(latenciesMicros);
            Collections.sort(sorted);
            long expected = (long) CLIENTS * rotations;
            report.append(String.format(Locale.ROOT, "## %d clients, a %d-byte QR rotating every %d s for %d s"
                            + " (-Xmx512m)%n%n- %d streams open in %.1f s; gauge %s%n"
                            + "- deliveries: %d of %d (%.2f %%)%n"
                            + "- webhook to client: median %.1f ms, p99 %.1f ms, max %.1f ms%n"
                            + "- webhook to the last client, per rotation: median %d ms, max %d ms%n"
                            + "- webhook answered in: median %d ms, max %d ms%n"
                            + "- heap: peak %d MiB used before a GC, largest live set %d MiB after one (baseline %d MiB"
                            + " live); RSS peak %d MiB%n- live set per stream client: %.1f KiB%n"
                            + "- liveness during the load: HTTP %d%n%n",
                    CLIENTS, image.length(), ROTATION.toSeconds(), MEASURE.toSeconds(), streaming.get(),
                    connectSeconds, gauge, sorted.size(), expected, 100.0 * sorted.size() / expected,
                    percentile(sorted, 50) / 1000.0, percentile(sorted, 99) / 1000.0,
                    (sorted.isEmpty() ? 0 : sorted.get(sorted.size() - 1)) / 1000.0,
                    median(lastClientMillis), Collections.max(lastClientMillis), median(webhookMillis),
                    Collections.max(webhookMillis), crowdHeap.usedBeforeGcMb(), crowdHeap.liveAfterGcMb(),
                    baselineLiveMb, rssMb, (crowdHeap.liveAfterGcMb() - baselineLiveMb) * 1024.0 / CLIENTS, live));
            long crowdLiveMb = liveHeapAfterFullGc(service, gcLog);
            report.append(String.format(Locale.ROOT, "- live heap after a full GC with the %d clients still open:"
                    + " %d MiB, i.e. %.1f KiB per client over the baseline%n%n", CLIENTS, crowdLiveMb,
                    (crowdLiveMb - baselineLiveMb) * 1024.0 / CLIENTS));
            sockets.forEach(NetSocket::close);
            awaitGauge(service, "0.0");

            // 2. churn: clients that connect and hang up, for a minute
            String churnToken = mint(tokens, db, "churn");
            long churnBefore = liveHeapAfterFullGc(service, gcLog);
            long churnEnd = System.nanoTime() + MEASURE.toNanos();
            int connections = 0;
            while (System.nanoTime() < churnEnd) {
                CountDownLatch sent = new CountDownLatch(CHURN_CLIENTS);
                for (int i = 0; i < CHURN_CLIENTS; i++) {
                    boolean hangUpAtOnce = i % 2 == 0;
                    net.connect(service.url("/").getPort(), "127.0.0.1").onComplete(result -> {
                        if (result.failed()) {
                            sent.countDown();
                            return;
                        }
                        NetSocket socket = result.result();
                        socket.write(request("churn", churnToken));
                        if (hangUpAtOnce) {
                            socket.close();
                            sent.countDown();
                        } else {
                            socket.handler(data -> socket.close());
                            socket.closeHandler(closed -> sent.countDown());
                        }
                    });
                }
                sent.await(60, TimeUnit.SECONDS);
                connections += CHURN_CLIENTS;
            }
            String afterChurn = awaitGauge(service, "0.0");
            long churnAfter = liveHeapAfterFullGc(service, gcLog);
            report.append(String.format(Locale.ROOT, "## %d clients connecting and hanging up, in a loop for %d s%n%n"
                            + "- %d connections (half hung up before their authorisation ended, half after the first"
                            + " event)%n- client gauge afterwards: %s (0 expected)%n"
                            + "- live heap after a full GC: %d MiB before, %d MiB after%n- liveness: HTTP %d%n",
                    CHURN_CLIENTS, MEASURE.toSeconds(), connections, afterChurn, churnBefore, churnAfter,
                    liveness(service)));
        } finally {
            net.close();
            vertx.close();
        }
        Files.createDirectories(Path.of("bench"));
        Files.writeString(Path.of("bench", "STREAMS.md"), report.toString(), StandardCharsets.UTF_8);
        System.out.println("[figures]\n" + report);
    }

    private static void openClient(NetClient net, int port, String instance, String token, CountDownLatch started,
                                   AtomicInteger streaming, List<NetSocket> sockets, AtomicLong rotationPostedNanos,
                                   ConcurrentLinkedQueue<Long> latenciesMicros, List<AtomicLong> lastArrival) {
        net.connect(port, "127.0.0.1").onComplete(result -> {
            if (result.failed()) {
                started.countDown();
                return;
            }
            NetSocket socket = result.result();
            sockets.add(socket);
            StringBuilder pending = new StringBuilder();
            boolean[] headers = {false};
            long[] lastId = {-1};
            socket.handler(data -> {
                pending.append(data.toString(StandardCharsets.ISO_8859_1));
                if (!headers[0]) {
                    int end = pending.indexOf("\r\n\r\n");
                    if (end < 0) {
                        return;
                    }
                    headers[0] = true;
                    if (pending.indexOf("HTTP/1.1 200") == 0) {
                        streaming.incrementAndGet();
                    }
                    started.countDown();
                    pending.delete(0, end + 4);
                }
                int blockEnd;
                while ((blockEnd = pending.indexOf("\n\n")) >= 0) {
                    String block = pending.substring(0, blockEnd);
                    pending.delete(0, blockEnd + 2);
                    Matcher id = ID.matcher(block);
                    if (block.contains("event: qr") && id.find()) {
                        long value = Long.parseLong(id.group(1));
                        if (lastId[0] >= 0 && value != lastId[0] && rotationPostedNanos.get() > 0) {
                            long now = System.nanoTime();
                            latenciesMicros.add((now - rotationPostedNanos.get()) / 1000);
                            AtomicLong last = lastArrival.isEmpty() ? null : lastArrival.get(lastArrival.size() - 1);
                            if (last != null) {
                                last.accumulateAndGet(now, Math::max);
                            }
                        }
                        lastId[0] = value;
                    }
                }
            });
            socket.write(request(instance, token));
        });
    }

    private static String request(String instance, String token) {
        return "GET /instances/" + instance + "/qr/stream?token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Accept: text/event-stream\r\n\r\n";
    }

    private static String qrEvent(String instance, int rotation, String image) throws Exception {
        String code = "2@bench" + rotation;
        return Webhooks.qrEvent(instance, code, null).replace(io.qrrefresher.evolution.QrImages.dataUrl(code), image);
    }

    private static HttpResponse<String> post(URI url, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(url).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** A viewer token for the row named {@code name}, bound to its id and owner as the service checks it. */
    private static String mint(ViewerTokens tokens, Connection db, String name) throws Exception {
        try (java.sql.PreparedStatement select = db.prepareStatement(
                "SELECT id::text, user_id::text FROM evolution_instances WHERE instance_name = ?")) {
            select.setString(1, name);
            try (java.sql.ResultSet row = select.executeQuery()) {
                row.next();
                return tokens.mint(name, row.getString(1), row.getString(2),
                        java.time.Instant.now().plus(Duration.ofMinutes(30)));
            }
        }
    }

    private static int liveness(ServiceProcess service) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(service.managementUrl("/observe/health/live"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static String gauge(ServiceProcess service, String name) throws Exception {
        return service.metrics().lines().filter(line -> line.startsWith(name + " ") || line.startsWith(name + "{"))
                .map(line -> line.substring(line.lastIndexOf(' ') + 1)).findFirst().orElse("?");
    }

    private static String awaitGauge(ServiceProcess service, String expected) throws Exception {
        java.util.concurrent.atomic.AtomicReference<String> value = new java.util.concurrent.atomic.AtomicReference<>();
        try {
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                    .until(() -> {
                        value.set(gauge(service, "qr_refresher_stream_clients"));
                        return value.get().equals(expected);
                    });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // the caller reports the value it got
        }
        return value.get();
    }

    /** Runs a full GC in the service (jcmd) and reads the heap it kept from the GC log, in MiB. */
    private static long liveHeapAfterFullGc(ServiceProcess service, Path gcLog) throws Exception {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Pattern full = Pattern.compile("Pause Full \\((?:System\\.gc\\(\\)|Diagnostic Command)\\) \\d+[KMG]->(\\d+)([KMG])");
        long fullPausesBefore = Files.readAllLines(gcLog).stream().filter(line -> full.matcher(line).find()).count();
        new ProcessBuilder(jcmd.toString(), String.valueOf(service.pid()), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start().waitFor(60, TimeUnit.SECONDS);
        // the GC log has the pause this GC.run caused
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> Files.readAllLines(gcLog).stream().filter(line -> full.matcher(line).find()).count()
                        > fullPausesBefore);
        long mib = -1;
        for (String line : Files.readAllLines(gcLog)) {
            Matcher m = full.matcher(line);
            if (m.find()) {
                long n = Long.parseLong(m.group(1));
                mib = switch (m.group(2)) {
                    case "K" -> n / 1024;
                    case "G" -> n * 1024;
                    default -> n;
                };
            }
        }
        return mib;
    }

    private static long percentile(List<Long> sorted, int percent) {
        if (sorted.isEmpty()) {
            return 0;
        }
        int index = (int) Math.ceil(percent / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    private static long median(List<Long> values) {
        List<Long> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
