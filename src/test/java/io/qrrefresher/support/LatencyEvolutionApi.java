package io.qrrefresher.support;

import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.qrrefresher.evolution.QrImages;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;

/**
 * A light Evolution API for the benchmark: every instance is {@code connecting}, every answer comes after a latency
 * drawn uniformly from {@code latency ± jitter} (a Vert.x timer, so ten thousand waiting calls cost no threads), and
 * each {@code connect} shows a new QR code while {@link #rotating(boolean)} is on (WhatsApp rotates a code about every
 * 45 s, so a one-minute cycle finds a new one every time). Reply bodies follow Evolution API v2; the image is one real QR
 * PNG shared by every answer, about the size of a real one. Instances marked {@link #unknown(String, boolean)} get Evolution's
 * 404. Used by the benchmark and by the replica drills, which also read the log of calls ({@link #recordCalls}).
 */
public final class LatencyEvolutionApi implements AutoCloseable {

    /** One call received: when, which ({@code connectionState} or {@code connect}), for which instance. */
    public record Call(Instant at, String call, String instance) {
    }

    private static final String IMAGE = QrImages.dataUrl("2@benchmark-qr-code-of-typical-length,ABCDEFGHIJKLMNOP,"
            + "QRSTUVWXYZabcdef,ghijklmnopqrstuv");

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private volatile long latencyMillis;
    private final long jitterMillis;
    private final Set<String> unknown = ConcurrentHashMap.newKeySet();
    private final Queue<Call> log = new ConcurrentLinkedQueue<>();
    private volatile boolean recording;
    private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
    private final AtomicLong calls = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile boolean rotating = true;

    public LatencyEvolutionApi(long latencyMillis, long jitterMillis) throws Exception {
        this.latencyMillis = latencyMillis;
        this.jitterMillis = jitterMillis;
        server = vertx.createHttpServer().requestHandler(this::handle).listen(0, "127.0.0.1")
                .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.actualPort());
    }

    /** On: each connect answers a new code (count + 1). Off: the same code as last time. */
    public void rotating(boolean on) {
        rotating = on;
    }

    public void latency(long millis) {
        latencyMillis = millis;
    }

    /** Evolution does not know this instance (404), or knows it again (null). */
    public void unknown(String name, boolean isUnknown) {
        if (isUnknown) {
            unknown.add(name);
        } else {
            unknown.remove(name);
        }
    }

    public void recordCalls(boolean on) {
        recording = on;
    }

    /** The calls received while recording, in order of arrival. */
    public List<Call> recordedCalls() {
        return List.copyOf(log);
    }

    public long calls() {
        return calls.get();
    }

    /** The most calls waiting for their answer at once since the last call of this method. */
    public int takeMaxInFlight() {
        return maxInFlight.getAndSet(inFlight.get());
    }

    private void handle(HttpServerRequest request) {
        calls.incrementAndGet();
        maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
        String path = request.path();
        String apiKey = request.getHeader("apikey");
        int status;
        String body;
        String call = path.startsWith("/instance/connectionState/") ? "connectionState"
                : path.startsWith("/instance/connect/") ? "connect" : null;
        String name = call == null ? null : path.substring(path.lastIndexOf('/') + 1);
        if (recording && call != null) {
            log.add(new Call(Instant.now(), call, name));
        }
        if (name != null && unknown.contains(name)) {
            status = 404;
            body = "{\"status\":404,\"error\":\"Not Found\",\"response\":{\"message\":[\"The \\\"" + name
                    + "\\\" instance does not exist\"]}}";
        } else if ("connectionState".equals(call)) {
            status = 200;
            body = "{\"instance\":{\"instanceName\":\"" + name + "\",\"state\":\"connecting\"}}";
        } else if ("connect".equals(call)) {
            AtomicInteger count = counts.computeIfAbsent(name, key -> new AtomicInteger());
            int shown = rotating ? count.incrementAndGet() : Math.max(1, count.get());
            status = 200;
            body = "{\"pairingCode\":null,\"code\":\"2@" + name + "-" + shown + "\",\"base64\":\"" + IMAGE
                    + "\",\"count\":" + shown + "}";
        } else {
            status = 404;
            body = "{\"status\":404,\"error\":\"Not Found\",\"response\":{\"message\":[\"Cannot GET " + path + "\"]}}";
        }
        if (status == 200 && (apiKey == null || apiKey.isBlank())) {
            status = 401;
            body = "{\"status\":401,\"error\":\"Unauthorized\",\"response\":{\"message\":\"Unauthorized\"}}";
        }
        int answerStatus = status;
        String answerBody = body;
        long delay = latencyMillis + (jitterMillis == 0 ? 0
                : ThreadLocalRandom.current().nextLong(-jitterMillis, jitterMillis + 1));
        vertx.setTimer(Math.max(1, delay), timer -> {
            inFlight.decrementAndGet();
            request.response().setStatusCode(answerStatus).putHeader("Content-Type", "application/json")
                    .end(answerBody);
        });
    }

    @Override
    public void close() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
}
