package io.qrrefresher.stream;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.common.RouteContract;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.common.Failures;
import io.qrrefresher.config.Settings;
import io.qrrefresher.metrics.QrMetrics;
import io.netty.buffer.Unpooled;
import io.qrrefresher.stream.StreamAccess.Credential;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /instances/{name}/qr/stream}: Server-Sent Events with the instance's current QR at once, then every
 * change, fed by the LISTEN connection (route {@code publish-qr-change}), never by polling. Who may watch is decided
 * by {@link StreamAccess} (viewer tokens, the application's user JWT, the admin token as a header).
 * <p>
 * Resources are bounded and released on every path: a client is tracked from the moment it arrives (its close handler
 * is set before any asynchronous work), counted in {@code qr_refresher_stream_clients} only while it is registered to
 * receive events, and released exactly once, whether it is refused, hangs up during its authorisation, is too slow,
 * reaches {@code QR_STREAM_MAX_DURATION} or loses access. Each event is serialised once per publish and its bytes are
 * shared by all clients; each client may have at most {@code QR_STREAM_CLIENT_BUFFER_BYTES} unwritten, after which it
 * is dropped (it reconnects and gets the current state), so a slow client never holds memory or others back.
 * <p>
 * A Vert.x handler on the platform-http router rather than a platform-http route: platform-http writes a streamed
 * body in 8 KB chunks, which would hold events back.
 */
public final class QrStreams {

    public static final String PATH = "/instances/:name/qr/stream";
    /** A client with this many writes waiting for its socket is behind: it is dropped (and reconnects). */
    static final int MAX_QUEUED_WRITES = 4;
    /** A client whose oldest waiting write is this old is behind. */
    static final java.time.Duration MAX_LAG = java.time.Duration.ofSeconds(20);
    public static final String INSTANCE_PROPERTY = "streamInstance";
    public static final String CREDENTIAL_PROPERTY = "streamCredential";
    /** Set by the route read-viewer-row (the stream, renew and pairing flows): the credential opens the row. */
    public static final String ALLOWED_PROPERTY = "viewerAllowed";
    private static final Logger LOG = LoggerFactory.getLogger(QrStreams.class);
    private static final String WHAT = "Live stream";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Buffer HEARTBEAT = StreamEvent.shared(": heartbeat\n\n".getBytes(StandardCharsets.US_ASCII));

    private final Settings.Stream settings;
    private final ViewerAdmission admission;
    private final int heartbeatMillis;
    private final QrMetrics metrics;
    private final Clock clock;
    private final Map<String, Set<Subscriber>> subscribers = new ConcurrentHashMap<>();
    private final AtomicInteger clients = new AtomicInteger();
    private final AtomicInteger pending = new AtomicInteger();
    private ProducerTemplate producer;
    private Vertx vertx;
    private WorkerExecutor authWorkers;

    public QrStreams(Settings.Stream settings, Settings.Widget widget, int heartbeatMillis, StreamAccess access,
                     AuthFailures authFailures, QrMetrics metrics, Clock clock) {
        this.settings = settings;
        this.admission = new ViewerAdmission(widget, access, authFailures, clock);
        this.heartbeatMillis = heartbeatMillis;
        this.metrics = metrics;
        this.clock = clock;
    }

    /** Adds the handler to the HTTP server of platform-http (once it runs) and starts the heartbeats. */
    public void install(CamelContext camelContext, int port) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camelContext,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        this.producer = camelContext.createProducerTemplate();
        this.vertx = router.vertx();
        // authorisations have their own small pool: thousands of streams opening at once never queue in front of
        // the webhooks and API calls on Vert.x's shared worker pool
        this.authWorkers = vertx.createSharedWorkerExecutor("qr-stream-auth", 4);
        router.get(PATH).handler(this::open);
        router.options(PATH).handler(routing -> admission.crossOrigin().preflight(routing.request(), routing.response(), "GET"));
        vertx.setPeriodic(heartbeatMillis, id -> heartbeat());
    }

    /** The Vert.x instance of the HTTP server (once installed). */
    public Vertx vertx() {
        return vertx;
    }

    /** Clients registered to receive events. */
    public int clients() {
        return clients.get();
    }

    /** Clients registered for one instance. */
    public int clientsOf(String instanceName) {
        Set<Subscriber> watching = subscribers.get(instanceName);
        return watching == null ? 0 : watching.size();
    }

    /** Clients whose authorisation is under way. */
    public int pending() {
        return pending.get();
    }

    /** Instances that have at least one client. */
    public List<String> subscribedInstances() {
        return List.copyOf(subscribers.keySet());
    }

    /** For the route {@code publish-qr-change}: whether anyone watches the instance the notification is about. */
    public boolean isWatched(String instanceName) {
        return instanceName != null && subscribers.containsKey(instanceName);
    }

    /**
     * For the route {@code publish-qr-change}: sends the instance's new state to its clients, serialised once. A
     * client whose access no longer holds (the row's token or owner changed, or the row is gone) is ended.
     */
    public void publish(String instanceName, QrSnapshot snapshot) {
        Set<Subscriber> watching = subscribers.get(instanceName);
        if (watching == null) {
            return;
        }
        if (snapshot == null) {
            watching.forEach(subscriber -> subscriber.end("instance_gone"));
            return;
        }
        StreamEvent event = StreamEvent.of(snapshot, clock.instant());
        List<Subscriber> allowed = new java.util.ArrayList<>(watching.size());
        for (Subscriber subscriber : watching) {
            if (!subscriber.accessFingerprint.equals(snapshot.getAccessFingerprint())) {
                subscriber.end("access_changed");
            } else {
                allowed.add(subscriber);
            }
        }
        onTheirEventLoops(allowed, subscriber -> subscriber.deliver(event));
    }

    /** Runs {@code action} for each subscriber on its own event loop: one task per event loop, not one per client. */
    private static void onTheirEventLoops(Iterable<Subscriber> subscribers, java.util.function.Consumer<Subscriber> action) {
        Map<Context, List<Subscriber>> byContext = new java.util.HashMap<>();
        for (Subscriber subscriber : subscribers) {
            byContext.computeIfAbsent(subscriber.context, key -> new java.util.ArrayList<>()).add(subscriber);
        }
        byContext.forEach((context, group) -> context.runOnContext(ignored -> group.forEach(action)));
    }

    private void open(RoutingContext routing) {
        HttpServerResponse response = routing.response();
        Optional<Credential> credential = admission.admit(routing, WHAT, ViewerAdmission.TokenFrom.HEADER_OR_QUERY,
                this::refuse);
        if (credential.isEmpty()) {
            return;
        }
        String name = routing.pathParam("name");
        if (clients.get() + pending.get() >= settings.maxClients()) {
            refuse(response, 503, "too_many_clients", "the live stream has reached QR_STREAM_MAX_CLIENTS");
            return;
        }
        if (pending.incrementAndGet() > settings.maxPending()) {
            pending.decrementAndGet();
            refuse(response, 503, "busy", "too many streams are starting at once; retry in a few seconds");
            return;
        }
        Subscriber subscriber = new Subscriber(name, response, vertx.getOrCreateContext());
        // before any asynchronous work: Vert.x does not call a close handler set on a connection already closed
        response.closeHandler(closed -> subscriber.release());
        response.exceptionHandler(failure -> subscriber.drop());
        authWorkers.executeBlocking(() -> producer.send(RouteContract.SUBSCRIBE_QR_STREAM, exchange -> {
            exchange.setProperty(INSTANCE_PROPERTY, name);
            exchange.setProperty(CREDENTIAL_PROPERTY, credential.get());
        }), false).onComplete(result -> {
            pending.decrementAndGet();
            if (subscriber.isReleased()) {
                return;
            }
            Exchange exchange = result.succeeded() ? result.result() : null;
            if (exchange == null || exchange.getException() != null) {
                LOG.warn("Live stream for instance '{}' refused: {}", name, Failures.describe(
                        exchange == null ? result.cause() : exchange.getException()));
                subscriber.release();
                refuse(response, 503, "unavailable", "the stream cannot start now; retry later");
                return;
            }
            if (!exchange.getProperty(ALLOWED_PROPERTY, false, Boolean.class)) {
                subscriber.release();
                if (exchange.getMessage().getBody() == null && credential.get().namesTheInstance()) {
                    // a credential signed for this very name (or the admin's): saying the row is gone reveals nothing
                    refuse(response, 404, "instance_not_found", "there is no instance of this name (deleted, or"
                            + " never created): ask for a new link or token once it exists");
                    return;
                }
                admission.unauthorized(routing, WHAT, ViewerAdmission.TokenFrom.HEADER_OR_QUERY, this::refuse);
                return;
            }
            QrSnapshot snapshot = exchange.getMessage().getBody(QrSnapshot.class);
            String refusal = register(subscriber, snapshot.getAccessFingerprint(), credential.get().until());
            if (refusal != null) {
                subscriber.release();
                refuse(response, 503, refusal, refusal.equals("too_many_clients")
                        ? "the live stream has reached QR_STREAM_MAX_CLIENTS"
                        : "this instance has reached QR_STREAM_MAX_CLIENTS_PER_INSTANCE");
                return;
            }
            response.setStatusCode(200)
                    .putHeader("Content-Type", "text/event-stream; charset=utf-8")
                    .putHeader("Cache-Control", "no-store")
                    .putHeader("X-Accel-Buffering", "no")
                    .setChunked(true);
            subscriber.write(Buffer.buffer("retry: 3000\n\n"));
            subscriber.send(StreamEvent.of(snapshot, clock.instant()));
        });
    }

    /** Null when the subscriber now receives events, otherwise the refusal. */
    private String register(Subscriber subscriber, String accessFingerprint, Instant until) {
        if (clients.incrementAndGet() > settings.maxClients()) {
            clients.decrementAndGet();
            return "too_many_clients";
        }
        boolean[] added = {false};
        subscribers.compute(subscriber.instanceName, (key, set) -> {
            Set<Subscriber> watching = set != null ? set : ConcurrentHashMap.newKeySet();
            if (watching.size() < settings.maxClientsPerInstance()) {
                watching.add(subscriber);
                added[0] = true;
            }
            return watching.isEmpty() ? null : watching;
        });
        if (!added[0]) {
            clients.decrementAndGet();
            return "too_many_clients_for_instance";
        }
        long lasts = settings.maxDuration().toMillis();
        String reason = "max_duration";
        if (until != null && Duration.between(clock.instant(), until).toMillis() < lasts) {
            // the credential ends first (a link's expiry): the stream ends with it; its page then says why
            lasts = Math.max(1, Duration.between(clock.instant(), until).toMillis());
            reason = "credential_expired";
        }
        String ended = reason;
        subscriber.registered(accessFingerprint == null ? "" : accessFingerprint,
                vertx.setTimer(lasts, id -> subscriber.end(ended)));
        return null;
    }

    private void unregister(Subscriber subscriber) {
        subscribers.computeIfPresent(subscriber.instanceName, (key, set) -> {
            set.remove(subscriber);
            return set.isEmpty() ? null : set;
        });
        clients.decrementAndGet();
    }

    private void heartbeat() {
        List<Subscriber> all = new java.util.ArrayList<>();
        subscribers.values().forEach(all::addAll);
        onTheirEventLoops(all, subscriber -> subscriber.write(HEARTBEAT));
    }

    private void refuse(HttpServerResponse response, int status, String error, String message) {
        metrics.streamRefused(error);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", false);
        body.put("error", error);
        body.put("message", message);
        HttpReplies.json(response, status, body);
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Stream events are plain data and always serialise", e);
        }
    }

    /** One state of an instance, serialised once and shared by every client that receives it. */
    record StreamEvent(String key, Buffer bytes) {
        /** {@code now}: the server's time, sent so that a browser can correct its clock for the countdown. */
        static StreamEvent of(QrSnapshot snapshot, Instant now) {
            boolean showsQr = "connecting".equals(snapshot.getInstanceStatus()) && snapshot.getQrCode() != null;
            String key = snapshot.getInstanceStatus() + "|" + snapshot.getLastQrUpdate() + "|"
                    + (snapshot.getQrCode() == null ? 0 : snapshot.getQrCode().hashCode()) + "|"
                    + snapshot.getPairingCode();
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("instance_name", snapshot.getInstanceName());
            data.put("instance_status", snapshot.getInstanceStatus());
            if (showsQr) {
                data.put("qr_code", snapshot.getQrCode());
                // checked again: the application may write the column too
                String pairingCode = QrContent.phonePairingCode(snapshot.getPairingCode());
                if (pairingCode != null) {
                    data.put("pairing_code", pairingCode);
                }
            }
            data.put("last_qr_update", iso(snapshot.getLastQrUpdate()));
            data.put("qr_expires_at", iso(snapshot.getQrExpiresAt()));
            data.put("server_time", now.toString());
            String event = (showsQr ? "event: qr\n" : "event: status\n")
                    + (snapshot.getLastQrUpdate() == null ? "" : "id: " + snapshot.getLastQrUpdate().getTime() + "\n")
                    + "data: " + json(data) + "\n\n";
            return new StreamEvent(key, shared(event.getBytes(StandardCharsets.UTF_8)));
        }

        /**
         * Bytes every connection writes without a copy: a direct buffer (Netty copies heap buffers into direct memory
         * for each socket write) that no write can release; the JDK frees it once no connection holds it.
         */
        static Buffer shared(byte[] bytes) {
            ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length).put(bytes).flip();
            return Buffer.buffer(Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(direct)));
        }

        private static String iso(Timestamp timestamp) {
            return timestamp == null ? null : timestamp.toInstant().toString();
        }
    }

    /**
     * One client. Everything it is written, and its release, happens on its connection's Vert.x context, in order;
     * {@link #release} runs once whatever ends the client.
     */
    private final class Subscriber {
        final String instanceName;
        final HttpServerResponse response;
        final Context context;
        private volatile boolean released;
        private boolean registered;
        private long timer = -1;
        private String accessFingerprint = "";
        private long unwrittenBytes;
        /** When each write not yet handed to the socket was made (nanoTime), oldest first. */
        private final java.util.ArrayDeque<Long> waiting = new java.util.ArrayDeque<>();
        private String lastSent;

        Subscriber(String instanceName, HttpServerResponse response, Context context) {
            this.instanceName = instanceName;
            this.response = response;
            this.context = context;
        }

        boolean isReleased() {
            return released;
        }

        void registered(String accessFingerprint, long timer) {
            this.accessFingerprint = accessFingerprint;
            this.timer = timer;
            this.registered = true;
        }

        void send(StreamEvent event) {
            context.runOnContext(ignored -> deliver(event));
        }

        /** On the context: writes the event unless this client has it already. */
        void deliver(StreamEvent event) {
            if (released || event.key().equals(lastSent)) {
                return;
            }
            lastSent = event.key();
            write(event.bytes());
        }

        /**
         * On the context: writes, or drops the client when it is behind: its unwritten bytes would pass the bound,
         * {@value #MAX_QUEUED_WRITES} writes (events, heartbeats) are already waiting, or the oldest waiting one has
         * waited {@link #MAX_LAG}. With the socket's send buffer bounded (HTTP_SEND_BUFFER_BYTES), a client that stops
         * reading is found behind within a few events, whatever their size.
         */
        void write(Buffer bytes) {
            if (released || response.closed() || response.ended()) {
                return;
            }
            int length = bytes.length();
            long now = System.nanoTime();
            boolean behind = waiting.size() >= MAX_QUEUED_WRITES
                    || !waiting.isEmpty() && now - waiting.peekFirst() > MAX_LAG.toNanos();
            if (behind || unwrittenBytes + length > settings.clientBufferBytes()) {
                metrics.streamDropped("slow_client");
                drop();
                return;
            }
            unwrittenBytes += length;
            waiting.addLast(now);
            response.write(bytes).onComplete(done -> {
                unwrittenBytes -= length;
                waiting.pollFirst();
            });
        }

        /** Ends the stream cleanly (the client reconnects): maximum duration reached, access changed, row gone. */
        void end(String reason) {
            context.runOnContext(ignored -> {
                if (released) {
                    return;
                }
                metrics.streamDropped(reason);
                release();
                if (!response.ended() && !response.closed()) {
                    response.end();
                }
            });
        }

        /** Closes the connection at once (a client that does not read, or a failed connection). */
        void drop() {
            release();
            if (!response.closed()) {
                response.reset();
            }
        }

        void release() {
            if (released) {
                return;
            }
            released = true;
            if (timer >= 0) {
                vertx.cancelTimer(timer);
            }
            if (registered) {
                unregister(this);
            }
        }
    }
}
