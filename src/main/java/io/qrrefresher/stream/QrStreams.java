package io.qrrefresher.stream;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.Failures;
import io.qrrefresher.config.Settings;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /instances/{name}/qr/stream}: Server-Sent Events with the instance's current QR at once, then every
 * change, fed by the LISTEN connection (route {@code publish-qr-change}), never by polling. Access is per instance,
 * like the row-level security of the system we replace: the caller shows the instance's token (or the admin token),
 * as {@code Authorization: Bearer} or, for browsers' EventSource, {@code ?token=}. All clients share the service's one
 * LISTEN connection.
 * <p>
 * A Vert.x handler on the platform-http router rather than a platform-http route: platform-http writes a streamed
 * body in 8 KB chunks, which would hold events back.
 */
public final class QrStreams {

    public static final String PATH = "/instances/:name/qr/stream";
    private static final Logger LOG = LoggerFactory.getLogger(QrStreams.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Settings.Events settings;
    private final Optional<byte[]> adminDigest;
    private final Map<String, Set<Subscriber>> subscribers = new ConcurrentHashMap<>();
    private final AtomicInteger clients = new AtomicInteger();
    private ProducerTemplate producer;
    private Vertx vertx;

    public QrStreams(Settings.Events settings, Optional<String> adminToken) {
        this.settings = settings;
        this.adminDigest = adminToken.map(QrStreams::sha256);
    }

    /** Adds the handler to the HTTP server of platform-http (once it runs) and starts the heartbeats. */
    public void install(CamelContext camelContext, int port) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camelContext,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        this.producer = camelContext.createProducerTemplate();
        this.vertx = router.vertx();
        router.get(PATH).handler(this::open);
        vertx.setPeriodic(settings.streamHeartbeatMillis(), id -> heartbeat());
    }

    public int clients() {
        return clients.get();
    }

    /** Instances that have at least one client. */
    public List<String> subscribedInstances() {
        return List.copyOf(subscribers.keySet());
    }

    /** For the route {@code publish-qr-change}: whether anyone watches the instance the notification is about. */
    public boolean isWatched(String instanceName) {
        return instanceName != null && subscribers.containsKey(instanceName);
    }

    /** For the route {@code subscribe-qr-stream}: the row (or null) against the token the caller showed. */
    public void authorize(Exchange exchange) {
        QrSnapshot row = exchange.getMessage().getBody(QrSnapshot.class);
        String token = exchange.getProperty("streamToken", String.class);
        boolean allowed = token != null && row != null
                && (matches(token, row.getInstanceToken()) || adminDigest.map(d -> MessageDigest.isEqual(d, sha256(token)))
                        .orElse(false));
        exchange.setProperty("streamAllowed", allowed);
    }

    /** For the route {@code publish-qr-change}: sends the instance's new state to its clients. */
    public void publish(Exchange exchange) {
        QrSnapshot snapshot = exchange.getMessage().getBody(QrSnapshot.class);
        if (snapshot == null) {
            return;
        }
        Set<Subscriber> watching = subscribers.get(snapshot.getInstanceName());
        if (watching != null) {
            for (Subscriber subscriber : watching) {
                subscriber.send(snapshot);
            }
        }
    }

    private void open(RoutingContext routing) {
        HttpServerResponse response = routing.response();
        String name = routing.pathParam("name");
        String token = bearer(routing.request().getHeader("Authorization"));
        if (token == null) {
            token = routing.queryParams().get("token");
        }
        if (clients.incrementAndGet() > settings.maxStreamClients()) {
            clients.decrementAndGet();
            end(response, 503, "too_many_clients", "the live stream has reached QR_STREAM_MAX_CLIENTS");
            return;
        }
        String shown = token;
        Context context = vertx.getOrCreateContext();
        vertx.executeBlocking(() -> producer.send("direct:subscribe-qr-stream", exchange -> {
            exchange.setProperty("streamInstance", name);
            exchange.setProperty("streamToken", shown);
        }), false).onComplete(result -> {
            Exchange exchange = result.succeeded() ? result.result() : null;
            if (exchange == null || exchange.getException() != null) {
                clients.decrementAndGet();
                LOG.warn("Live stream for instance '{}' refused: {}", name, Failures.describe(
                        exchange == null ? result.cause() : exchange.getException()));
                end(response, 503, "unavailable", "the stream cannot start now; retry later");
                return;
            }
            if (!exchange.getProperty("streamAllowed", false, Boolean.class)) {
                clients.decrementAndGet();
                end(response, 401, "unauthorized", "show the instance's token (or the admin token) as "
                        + "Authorization: Bearer or ?token=");
                return;
            }
            Subscriber subscriber = new Subscriber(name, response, context);
            response.setStatusCode(200)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-cache")
                    .putHeader("X-Accel-Buffering", "no")
                    .setChunked(true);
            response.write("retry: 3000\n\n");
            subscribers.computeIfAbsent(name, key -> ConcurrentHashMap.newKeySet()).add(subscriber);
            response.closeHandler(closed -> forget(subscriber));
            subscriber.send(exchange.getMessage().getBody(QrSnapshot.class));
        });
    }

    private void forget(Subscriber subscriber) {
        Set<Subscriber> watching = subscribers.get(subscriber.instanceName);
        if (watching != null && watching.remove(subscriber)) {
            clients.decrementAndGet();
            subscribers.computeIfPresent(subscriber.instanceName, (key, set) -> set.isEmpty() ? null : set);
        }
    }

    private void heartbeat() {
        subscribers.values().forEach(set -> set.forEach(Subscriber::ping));
    }

    private static void end(HttpServerResponse response, int status, String error, String message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", false);
        body.put("error", error);
        body.put("message", message);
        response.setStatusCode(status).putHeader("Content-Type", "application/json").end(json(body));
    }

    private static String bearer(String authorization) {
        return authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
    }

    private static boolean matches(String token, String expected) {
        return expected != null && !expected.isBlank() && MessageDigest.isEqual(sha256(token), sha256(expected));
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Stream events are plain data and always serialise", e);
        }
    }

    /** One client; everything it is written happens on its connection's Vert.x context, in order. */
    private final class Subscriber {
        final String instanceName;
        final HttpServerResponse response;
        final Context context;
        private String lastSent;

        Subscriber(String instanceName, HttpServerResponse response, Context context) {
            this.instanceName = instanceName;
            this.response = response;
            this.context = context;
        }

        void send(QrSnapshot snapshot) {
            boolean showsQr = "connecting".equals(snapshot.getInstanceStatus()) && snapshot.getQrCode() != null;
            String key = snapshot.getInstanceStatus() + "|" + snapshot.getLastQrUpdate() + "|"
                    + (snapshot.getQrCode() == null ? 0 : snapshot.getQrCode().hashCode());
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("instance_name", snapshot.getInstanceName());
            data.put("instance_status", snapshot.getInstanceStatus());
            if (showsQr) {
                data.put("qr_code", snapshot.getQrCode());
            }
            data.put("last_qr_update", iso(snapshot.getLastQrUpdate()));
            data.put("qr_expires_at", iso(snapshot.getQrExpiresAt()));
            String event = (showsQr ? "event: qr\n" : "event: status\n")
                    + (snapshot.getLastQrUpdate() == null ? "" : "id: " + snapshot.getLastQrUpdate().getTime() + "\n")
                    + "data: " + json(data) + "\n\n";
            context.runOnContext(ignored -> {
                if (key.equals(lastSent) || response.closed()) {
                    return;
                }
                if (response.writeQueueFull()) {
                    // a client that cannot keep up reconnects and gets the current state; older ones are worthless
                    response.reset();
                    return;
                }
                lastSent = key;
                response.write(event);
            });
        }

        void ping() {
            context.runOnContext(ignored -> {
                if (!response.closed() && !response.writeQueueFull()) {
                    response.write(": heartbeat\n\n");
                }
            });
        }

        private static String iso(Timestamp timestamp) {
            return timestamp == null ? null : timestamp.toInstant().toString();
        }
    }
}
