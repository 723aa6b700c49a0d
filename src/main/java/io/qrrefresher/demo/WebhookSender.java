package io.qrrefresher.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * The simulator's webhook client: Evolution's v2 envelope (event, instance, data, destination, date_time in local time
 * with a fake "Z", server_url, apikey null), posted in order, failed posts retried with exponential backoff up to 10
 * attempts (Evolution API v2, as recorded in src/test/resources/evolution). No retry for 400/401/403/404/422, as Evolution.
 */
final class WebhookSender implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ATTEMPTS = 10;

    private final URI url;
    private final Duration timeOffset;
    private final Duration retryBase;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(4, runnable -> {
        Thread thread = new Thread(runnable, "evolution-simulator-webhooks");
        thread.setDaemon(true);
        return thread;
    });
    private volatile String serverUrl = "";
    private volatile boolean dropping;
    private final Set<String> droppedInstances = ConcurrentHashMap.newKeySet();

    WebhookSender(URI url, Duration timeOffset, Duration retryBase, Clock clock) {
        this.url = url;
        this.timeOffset = timeOffset;
        this.retryBase = retryBase;
        this.clock = clock;
    }

    void serverUrl(URI serverUrl) {
        this.serverUrl = serverUrl.toString();
    }

    void every(Duration period, Runnable task) {
        scheduler.scheduleAtFixedRate(task, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Lost webhooks: a wrong WEBHOOK_GLOBAL_URL, a firewall, events not enabled. Evolution sends; nothing arrives. */
    void dropping(boolean dropping) {
        this.dropping = dropping;
    }

    /** Lost webhooks of one instance only (its events never arrive). */
    void dropping(String instance, boolean dropping) {
        if (dropping) {
            droppedInstances.add(instance);
        } else {
            droppedInstances.remove(instance);
        }
    }

    void send(String event, String instance, Map<String, Object> data) {
        if (dropping || droppedInstances.contains(instance)) {
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("event", event);
        body.put("instance", instance);
        body.put("data", data);
        body.put("destination", url.toString());
        body.put("date_time", clock.instant().plus(timeOffset).toString());
        body.put("server_url", serverUrl);
        body.put("apikey", null);
        try {
            byte[] json = JSON.writeValueAsBytes(body);
            scheduler.execute(() -> post(json, 1));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private void post(byte[] body, int attempt) {
        int status;
        try {
            HttpRequest request = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
            status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            status = -1;
        }
        if (status >= 200 && status < 300) {
            return;
        }
        boolean final4xx = status == 400 || status == 401 || status == 403 || status == 404 || status == 422;
        if (!final4xx && attempt < MAX_ATTEMPTS && !scheduler.isShutdown()) {
            long delay = retryBase.toMillis() * (1L << Math.min(attempt - 1, 6));
            scheduler.schedule(() -> post(body, attempt + 1), delay, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
