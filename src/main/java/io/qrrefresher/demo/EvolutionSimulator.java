package io.qrrefresher.demo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.QrImages;

/**
 * An Evolution API server on loopback that follows Evolution API v2 (bodies as recorded in src/test/resources/evolution) for the calls the refresher makes: guard order (404
 * before 401), {@code apikey} as the global key or the instance's token, {@code connectionState} without side effects,
 * {@code connect} that reads the cached QR while connecting but opens a new socket when closed (with {@code ?number=},
 * honoured only then, that socket asks for a phone-number pairing code, renewed with every QR), {@code logout}, 200 with
 * {@code {"error":true}} for an instance that is not loaded, {@code {"count":0}} before the first QR, rotation every
 * {@code qrTimeout} and the QR limit. QR images are real PNGs. Used by demo mode and by the tests.
 */
public class EvolutionSimulator implements AutoCloseable {

    public enum State {
        CONNECTING, OPEN, CLOSE, NOT_LOADED
    }

    /** One HTTP answer. */
    public record Reply(int status, String contentType, byte[] body) {
        public static Reply json(int status, Object body) {
            try {
                return new Reply(status, "application/json; charset=utf-8", JSON.writeValueAsBytes(body));
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Baileys' pairing codes: 8 characters of this alphabet (Crockford base32 without 0, I, O, U). */
    private static final String PAIRING_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTVWXYZ";

    private volatile String globalApiKey;
    private volatile boolean generatingQrs = true;
    private final Duration rotation;
    private final Duration firstQrDelay;
    private final Duration connectDelay;
    private final int qrLimit;
    private final Clock clock;
    private final Map<String, SimulatedInstance> instances = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicLong qrsMade = new java.util.concurrent.atomic.AtomicLong();
    private final HttpServer server;
    private final ExecutorService executor;
    private final WebhookSender webhooks;

    protected EvolutionSimulator(Builder builder) throws IOException {
        this.globalApiKey = builder.globalApiKey;
        this.rotation = builder.rotation;
        this.firstQrDelay = builder.firstQrDelay;
        this.connectDelay = builder.connectDelay;
        this.qrLimit = builder.qrLimit;
        this.clock = builder.clock;
        this.webhooks = builder.webhookUrl == null ? null
                : new WebhookSender(builder.webhookUrl, builder.evolutionTimeOffset, builder.webhookRetryBase, clock);
        this.executor = Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "evolution-simulator");
            thread.setDaemon(true);
            return thread;
        });
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), builder.port), 200);
        server.setExecutor(executor);
        server.createContext("/", this::serve);
        server.start();
        if (webhooks != null) {
            webhooks.serverUrl(baseUrl());
            if (rotation != null) {
                // with webhooks, rotations must happen on time, not when someone asks
                webhooks.every(Duration.ofMillis(100), () -> instances.values().forEach(instance -> {
                    synchronized (instance) {
                        advance(instance);
                    }
                }));
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    public String globalApiKey() {
        return globalApiKey;
    }

    /** The server's AUTHENTICATION_API_KEY changed: the old global key gets 401 from now on. */
    public void changeGlobalApiKey(String key) {
        this.globalApiKey = key;
    }

    /** The instance was recreated or its token changed: the old token gets 401 from now on. */
    public void changeToken(String name, String token) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            instance.token = token;
        }
    }

    /**
     * The known "no QR code is generated" failure: the socket stays connecting and connect answers {"count":0} for
     * ever. For one instance (a session that never recovers), or with {@link #stopGeneratingQrs()} for all (an outdated
     * WhatsApp Web version, CONFIG_SESSION_PHONE_VERSION).
     */
    public void stopGeneratingQr(String name) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            instance.generatingQrs = false;
            forgetQr(instance);
        }
    }

    /** Every instance stops getting QR codes (see {@link #stopGeneratingQr(String)}). */
    public void stopGeneratingQrs() {
        generatingQrs = false;
        instances.values().forEach(instance -> {
            synchronized (instance) {
                forgetQr(instance);
            }
        });
    }

    /** QR codes come again, for every instance. */
    public void resumeGeneratingQrs() {
        generatingQrs = true;
        instances.values().forEach(instance -> {
            synchronized (instance) {
                instance.generatingQrs = true;
            }
        });
    }

    /** This instance's QRCODE_LIMIT: its socket closes after that many QR codes (the server's limit for the rest). */
    public void limitQrs(String name, int limit) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            instance.qrLimit = limit;
        }
    }

    /** Webhooks are sent but never arrive (true), or arrive again (false). Requires {@link Builder#webhook}. */
    public void loseWebhooks(boolean lost) {
        if (webhooks == null) {
            throw new IllegalStateException("This simulator sends no webhooks");
        }
        webhooks.dropping(lost);
    }

    /** The webhooks of one instance are sent but never arrive (true), or arrive again (false). */
    public void loseWebhooks(String name, boolean lost) {
        if (webhooks == null) {
            throw new IllegalStateException("This simulator sends no webhooks");
        }
        webhooks.dropping(name, lost);
    }

    private static void forgetQr(SimulatedInstance instance) {
        instance.count = 0;
        instance.code = null;
        instance.base64 = null;
        instance.pairingCode = null;
    }

    /** Adds an instance in the given state; a connecting one starts its socket now. */
    public void addInstance(String name, String token, State state) {
        SimulatedInstance instance = new SimulatedInstance(name, token);
        instances.put(name, instance);
        synchronized (instance) {
            instance.state = state;
            if (state == State.CONNECTING) {
                startSocket(instance);
            }
        }
    }

    public void removeInstance(String name) {
        instances.remove(name);
    }

    /** How many QR codes every instance made in all (rotations), since the start. */
    public long rotations() {
        return qrsMade.get();
    }

    /** A new QR now, as WhatsApp's rotation does. */
    public void rotate(String name) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            newQr(instance);
        }
    }

    /** The user scanned the QR: the instance is paired. */
    public void pair(String name) {
        setState(name, State.OPEN);
    }

    /** Pairs the instance once {@code after} has passed (demo mode). */
    public void pairAfter(String name, Duration after) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            instance.pairAt = clock.instant().plus(after);
        }
    }

    public void setState(String name, State state) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            changeState(instance, state, 200);
        }
    }

    /** A terminal close, as a logout from the phone: Evolution posts {@code connection.update} close 401. */
    public void logout(String name) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            changeState(instance, State.CLOSE, 401);
        }
    }

    public State state(String name) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            advance(instance);
            return instance.state;
        }
    }

    public String currentBase64(String name) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            advance(instance);
            return instance.base64;
        }
    }

    /** The phone number the instance's socket asks a pairing code for (connect on close with ?number=), or null. */
    public String pairingNumber(String name) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            return instance.pairingNumber;
        }
    }

    /** The pairing code of the current QR, or null in QR mode. */
    public String currentPairingCode(String name) {
        SimulatedInstance instance = instance(name);
        synchronized (instance) {
            advance(instance);
            return instance.pairingCode;
        }
    }

    /** How many sockets {@code connect} opened for a closed instance (the side effect to avoid). */
    public int socketsOpened(String name) {
        return instance(name).socketsOpened.get();
    }

    /** Requests received for one call and instance. */
    public int calls(EvolutionCall call, String name) {
        AtomicInteger count = calls.get(call.pathSegment() + "/" + name);
        return count == null ? 0 : count.get();
    }

    /** Calls about instances (connectionState, connect, logout); the lists of {@link #listings()} aside. */
    public int totalCalls() {
        return calls.entrySet().stream().filter(entry -> !entry.getKey().equals("fetchInstances"))
                .mapToInt(entry -> entry.getValue().get()).sum();
    }

    public void resetCalls() {
        calls.clear();
    }

    @Override
    public void close() {
        if (webhooks != null) {
            webhooks.close();
        }
        server.stop(0);
        executor.shutdownNow();
    }

    /**
     * Answers one call, after the route was matched and counted. Subclasses may return their own reply (faults);
     * the default follows the contract.
     */
    protected Reply answer(EvolutionCall call, String name, String apiKey, String number) {
        SimulatedInstance instance = instances.get(name);
        if (instance == null) {
            return Reply.json(404, envelope(404, "Not Found",
                    List.of("The \"" + name + "\" instance does not exist")));
        }
        if (apiKey == null || !(apiKey.equals(globalApiKey) || apiKey.equals(instance.token))) {
            return Reply.json(401, envelope(401, "Unauthorized", "Unauthorized"));
        }
        boolean sleepAfterConnect = false;
        Reply reply;
        synchronized (instance) {
            advance(instance);
            if (call == EvolutionCall.CONNECTION_STATE) {
                reply = Reply.json(200, stateBody(instance));
            } else if (call == EvolutionCall.LOGOUT) {
                reply = logout(instance);
            } else {
                switch (instance.state) {
                    case OPEN -> reply = Reply.json(200, stateBody(instance));
                    case CONNECTING -> reply = Reply.json(200, qrBody(instance));
                    case CLOSE -> {
                        // connect on close opens a new WhatsApp socket; Evolution then waits and answers the QR it
                        // has cached, which may be {"count":0} or the previous, expired one (Evolution API v2, as recorded in src/test/resources/evolution)
                        instance.socketsOpened.incrementAndGet();
                        instance.state = State.CONNECTING;
                        instance.pairingNumber = number;
                        startSocket(instance);
                        sleepAfterConnect = true;
                        reply = null;
                    }
                    default -> reply = Reply.json(200, Map.of("error", true, "message", "[object Object]"));
                }
            }
        }
        if (sleepAfterConnect) {
            sleep(connectDelay);
            whileConnectWaits(name);
            synchronized (instance) {
                advance(instance);
                reply = Reply.json(200, qrBody(instance));
            }
        }
        return reply;
    }

    /** Runs while connect on a closed instance waits before answering (the new socket's first QR may come then). */
    protected void whileConnectWaits(String name) {
    }

    /** {@code DELETE /instance/logout/{name}}: ends the session; 400 when it is not connected (Evolution v2). */
    private Reply logout(SimulatedInstance instance) {
        if (instance.state == State.CLOSE || instance.state == State.NOT_LOADED) {
            return Reply.json(400, envelope(400, "Bad Request",
                    List.of("The \"" + instance.name + "\" instance is not connected")));
        }
        changeState(instance, State.CLOSE, 401);
        instance.code = null;
        instance.base64 = null;
        instance.pairingCode = null;
        instance.pairingNumber = null;
        instance.nextQrAt = null;
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", "SUCCESS");
        body.put("error", false);
        body.put("response", Map.of("message", "Instance logged out"));
        return Reply.json(200, body);
    }

    private volatile String version = "2.3.6-simulator";
    private volatile String clientName = "evolution_exchange";
    private volatile boolean licenceGate;

    /** What {@code GET /} says: the server's version and its DATABASE_CONNECTION_CLIENT_NAME. */
    public void identity(String version, String clientName) {
        this.version = version;
        this.clientName = clientName;
    }

    /** On: every request answers 503 LICENSE_REQUIRED, as Evolution 2.4.0-rc does until it is activated. */
    public void licenceGate(boolean on) {
        this.licenceGate = on;
    }

    private volatile Instant licenceGateUntil;

    /** The licence gate is closed until {@code until} (the server is activated then). */
    public void licenceGateUntil(Instant until) {
        this.licenceGateUntil = until;
    }

    private boolean gated() {
        Instant until = licenceGateUntil;
        return licenceGate || until != null && clock.instant().isBefore(until);
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String path = exchange.getRequestURI().getRawPath();
            String method = exchange.getRequestMethod();
            Reply reply;
            EvolutionCall call = null;
            String name = null;
            String[] parts = path.split("/", -1);
            if (parts.length == 4 && parts[1].equals("instance")) {
                for (EvolutionCall candidate : EvolutionCall.values()) {
                    if (candidate.pathSegment().equals(parts[2]) && candidate.method().equals(method)) {
                        call = candidate;
                    }
                }
                name = percentDecode(parts[3]);
            }
            if (gated()) {
                // Evolution 2.4.0-rc before activation: every request, before authentication (CONTRACT.md, section 8)
                reply = Reply.json(503, Map.of("error", "service not activated", "code", "LICENSE_REQUIRED",
                        "register_url", "http://127.0.0.1/manager/login",
                        "instance_id", "3f2b8c1e-6d7a-4e91-9b0c-5a4d2e1f0c77",
                        "message", "This Evolution API instance is not activated. Open http://127.0.0.1/manager/login"
                                + " to activate, or set AUTHENTICATION_API_KEY in your .env with a valid licensing key."));
            } else if ("GET".equals(method) && "/".equals(path)) {
                Map<String, Object> root = new LinkedHashMap<>();
                root.put("status", 200);
                root.put("message", "Welcome to the Evolution API, it is working!");
                root.put("version", version);
                root.put("clientName", clientName);
                root.put("manager", "http://127.0.0.1/manager");
                root.put("documentation", "https://doc.evolution-api.com");
                root.put("whatsappWebVersion", "2.3000.1028950000");
                reply = Reply.json(200, root);
            } else if ("GET".equals(method) && "/instance/fetchInstances".equals(path)) {
                calls.computeIfAbsent("fetchInstances", key -> new AtomicInteger()).incrementAndGet();
                reply = fetchInstances(exchange.getRequestHeaders().getFirst("apikey"));
            } else if (call == null || name.isEmpty()) {
                reply = Reply.json(404, envelope(404, "Not Found", List.of("Cannot " + method + " " + path)));
            } else {
                calls.computeIfAbsent(call.pathSegment() + "/" + name, key -> new AtomicInteger()).incrementAndGet();
                reply = answer(call, name, exchange.getRequestHeaders().getFirst("apikey"),
                        io.qrrefresher.common.UrlQuery.value(exchange.getRequestURI().getRawQuery(), "number"));
            }
            send(exchange, reply);
        }
    }

    /**
     * {@code GET /instance/fetchInstances}: every instance for the global key, the one instance for its own token
     * (Evolution v2's {@code Instance} rows, with their tokens and this node's {@code clientName}).
     */
    private Reply fetchInstances(String apiKey) {
        if (apiKey == null) {
            return Reply.json(401, envelope(401, "Unauthorized", "Unauthorized"));
        }
        List<Map<String, Object>> list = new java.util.ArrayList<>();
        instances.values().stream().sorted(java.util.Comparator.comparing(instance -> instance.name))
                .filter(instance -> apiKey.equals(globalApiKey) || apiKey.equals(instance.token))
                .forEach(instance -> {
                    Map<String, Object> row = new LinkedHashMap<>();
                    row.put("id", java.util.UUID.nameUUIDFromBytes(instance.name.getBytes(StandardCharsets.UTF_8))
                            .toString());
                    row.put("name", instance.name);
                    row.put("connectionStatus", instance.state == State.OPEN ? "open"
                            : instance.state == State.CONNECTING ? "connecting" : "close");
                    row.put("ownerJid", null);
                    row.put("profileName", null);
                    row.put("integration", "WHATSAPP-BAILEYS");
                    row.put("number", null);
                    row.put("token", instance.token);
                    row.put("clientName", clientName);
                    row.put("createdAt", "2026-12-01T10:00:00.000Z");
                    row.put("updatedAt", "2026-12-01T10:00:00.000Z");
                    list.add(row);
                });
        if (list.isEmpty() && !apiKey.equals(globalApiKey)) {
            return Reply.json(401, envelope(401, "Unauthorized", "Unauthorized"));
        }
        return Reply.json(200, list);
    }

    /** How many times GET /instance/fetchInstances was asked. */
    public int listings() {
        AtomicInteger count = calls.get("fetchInstances");
        return count == null ? 0 : count.get();
    }

    /** Writes a reply; subclasses may stream their own bodies by overriding. */
    protected void send(HttpExchange exchange, Reply reply) throws IOException {
        if (reply.contentType() != null) {
            exchange.getResponseHeaders().set("Content-Type", reply.contentType());
        }
        byte[] body = reply.body() == null ? new byte[0] : reply.body();
        exchange.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private void startSocket(SimulatedInstance instance) {
        Instant now = clock.instant();
        instance.nextQrAt = rotation == null ? null : now.plus(firstQrDelay);
    }

    /** Applies what time did since the last look: QR rotations, the QR limit, a scheduled pairing. */
    private void advance(SimulatedInstance instance) {
        Instant now = clock.instant();
        if (instance.pairAt != null && !now.isBefore(instance.pairAt)) {
            instance.pairAt = null;
            changeState(instance, State.OPEN, 200);
        }
        while (instance.state == State.CONNECTING && instance.nextQrAt != null && !now.isBefore(instance.nextQrAt)) {
            instance.nextQrAt = instance.nextQrAt.plus(rotation);
            newQr(instance);
        }
    }

    private void newQr(SimulatedInstance instance) {
        if (!generatingQrs || !instance.generatingQrs) {
            return;
        }
        if (gated()) {
            // a server behind its licence gate runs no WhatsApp session: no QR, no webhook
            return;
        }
        if (instance.count >= (instance.qrLimit > 0 ? instance.qrLimit : qrLimit)) {
            // QRCODE_LIMIT reached: Evolution ends the session, resets the QR and says close (Evolution API v2, as recorded in src/test/resources/evolution)
            instance.state = State.CLOSE;
            instance.count = 0;
            instance.code = null;
            instance.base64 = null;
            instance.nextQrAt = null;
            if (webhooks != null) {
                webhooks.send("qrcode.updated", instance.name,
                        Map.of("message", "QR code limit reached, please login again", "statusCode", 500));
                webhooks.send("connection.update", instance.name,
                        Map.of("instance", instance.name, "state", "refused", "statusReason", 428));
            }
            return;
        }
        instance.count++;
        qrsMade.incrementAndGet();
        instance.code = "2@" + randomBase64(48) + "," + randomBase64(32) + "," + randomBase64(32) + ","
                + randomBase64(32);
        instance.base64 = QrImages.dataUrl(instance.code);
        instance.pairingCode = instance.pairingNumber == null ? null : randomPairingCode();
        if (webhooks != null) {
            Map<String, Object> qrcode = new LinkedHashMap<>();
            qrcode.put("instance", instance.name);
            qrcode.put("pairingCode", instance.pairingCode);
            qrcode.put("code", instance.code);
            qrcode.put("base64", instance.base64);
            webhooks.send("qrcode.updated", instance.name, Map.of("qrcode", qrcode));
        }
    }

    private void changeState(SimulatedInstance instance, State state, int statusReason) {
        State before = instance.state;
        instance.state = state;
        if (state == State.OPEN) {
            instance.pairingNumber = null;
            instance.pairingCode = null;
        }
        if (webhooks != null && before != state && (state == State.OPEN || statusReason != 200)) {
            webhooks.send("connection.update", instance.name, Map.of("instance", instance.name,
                    "state", state.name().toLowerCase(), "statusReason", statusReason));
        }
    }

    private static Map<String, Object> stateBody(SimulatedInstance instance) {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("instanceName", instance.name);
        if (instance.state != State.NOT_LOADED) {
            inner.put("state", instance.state.name().toLowerCase());
        }
        return Map.of("instance", inner);
    }

    private static Map<String, Object> qrBody(SimulatedInstance instance) {
        Map<String, Object> body = new LinkedHashMap<>();
        if (instance.code != null) {
            body.put("pairingCode", instance.pairingCode);
            body.put("code", instance.code);
            body.put("base64", instance.base64);
        }
        body.put("count", instance.count);
        return body;
    }

    private static Map<String, Object> envelope(int status, String error, Object message) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", status);
        body.put("error", error);
        body.put("response", Map.of("message", message));
        return body;
    }

    private SimulatedInstance instance(String name) {
        SimulatedInstance instance = instances.get(name);
        if (instance == null) {
            throw new IllegalArgumentException("No simulated instance " + name);
        }
        return instance;
    }

    private static String randomBase64(int bytes) {
        byte[] data = new byte[bytes];
        RANDOM.nextBytes(data);
        return Base64.getEncoder().encodeToString(data);
    }

    private static String percentDecode(String segment) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < segment.length(); i++) {
            char c = segment.charAt(i);
            boolean escape = c == '%' && i + 2 < segment.length()
                    && Character.digit(segment.charAt(i + 1), 16) >= 0 && Character.digit(segment.charAt(i + 2), 16) >= 0;
            if (escape) {
                out.write(HexFormat.fromHexDigits(segment, i + 1, i + 3));
                i += 2;
            } else {
                out.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static void sleep(Duration duration) {
        if (duration.isZero()) {
            return;
        }
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String randomPairingCode() {
        StringBuilder code = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            code.append(PAIRING_ALPHABET.charAt(RANDOM.nextInt(PAIRING_ALPHABET.length())));
        }
        return code.toString();
    }

    private static final class SimulatedInstance {
        final String name;
        volatile String token;
        boolean generatingQrs = true;
        int qrLimit;
        final AtomicInteger socketsOpened = new AtomicInteger();
        State state = State.CLOSE;
        int count;
        String code;
        String base64;
        String pairingNumber;
        String pairingCode;
        Instant nextQrAt;
        Instant pairAt;

        SimulatedInstance(String name, String token) {
            this.name = name;
            this.token = token;
        }
    }

    public static final class Builder {
        private String globalApiKey = "simulator-global-key";
        private Duration rotation;
        private Duration firstQrDelay = Duration.ofSeconds(1);
        private Duration connectDelay = Duration.ZERO;
        private int qrLimit = 30;
        private int port;
        private Clock clock = Clock.systemUTC();
        private URI webhookUrl;
        private Duration evolutionTimeOffset = Duration.ofHours(-3);
        private Duration webhookRetryBase = Duration.ofSeconds(5);

        public Builder globalApiKey(String key) {
            this.globalApiKey = key;
            return this;
        }

        /** Rotates QR codes by themselves every {@code rotation} (Evolution: 45 s); without it only {@link #rotate}. */
        public Builder rotation(Duration rotation, Duration firstQrDelay) {
            this.rotation = rotation;
            this.firstQrDelay = firstQrDelay;
            return this;
        }

        /** How long {@code connect} on a closed instance waits before answering (Evolution v2: 2 s). */
        public Builder connectDelay(Duration connectDelay) {
            this.connectDelay = connectDelay;
            return this;
        }

        public Builder qrLimit(int qrLimit) {
            this.qrLimit = qrLimit;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = clock;
            return this;
        }

        /**
         * Posts {@code qrcode.updated} and {@code connection.update} webhooks there, as Evolution's global webhook
         * does, retrying failed posts with exponential backoff from {@code retryBase} (Evolution: 5 s, 10 attempts).
         */
        public Builder webhook(URI url, Duration retryBase) {
            this.webhookUrl = url;
            this.webhookRetryBase = retryBase;
            return this;
        }

        /** How far Evolution's {@code date_time} is from real UTC (its local time with a fake "Z"; Sao Paulo: -3 h). */
        public Builder evolutionTimeOffset(Duration offset) {
            this.evolutionTimeOffset = offset;
            return this;
        }

        public EvolutionSimulator start() throws IOException {
            return new EvolutionSimulator(this);
        }
    }
}
