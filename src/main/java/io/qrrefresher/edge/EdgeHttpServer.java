package io.qrrefresher.edge;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.qrrefresher.config.Settings;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.netty.handler.codec.TooLongFrameException;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The public HTTP server of platform-http (Camel's routes and the Vert.x handlers share it), with the limits the stock
 * server has no setting for:
 * <ul>
 * <li>a <b>header deadline</b>: a connection that has not sent a complete request line and headers within
 * HTTP_HEADER_TIMEOUT_MS of opening (or of its previous answer, on keep-alive) is closed; so is one whose request
 * body is not complete within the same time after its headers;</li>
 * <li>an <b>idle timeout</b> (HTTP_IDLE_TIMEOUT_SECONDS) for connections that neither read nor write (live streams
 * write a heartbeat, so they stay);</li>
 * <li><b>connection caps</b>: HTTP_MAX_CONNECTIONS in all and HTTP_MAX_CONNECTIONS_PER_ADDRESS per client address
 * (trusted proxies and Evolution API's own addresses exempt: genuine webhooks keep a way in); a connection past either
 * is closed at once, before anything is read, so that a flood never takes the descriptors the others and the
 * management port need;</li>
 * <li>a bounded socket <b>send buffer</b> (HTTP_SEND_BUFFER_BYTES), so that a reader that stops reading is seen as
 * slow after that many bytes, not after megabytes of kernel memory;</li>
 * <li>the <b>bind address</b> HTTP_BIND.</li>
 * </ul>
 * Everything it serves passes the {@link EdgeGate} first.
 */
public final class EdgeHttpServer extends VertxPlatformHttpServer {

    private static final Logger LOG = LoggerFactory.getLogger(EdgeHttpServer.class);
    private static final long REFUSAL_LOG_INTERVAL_MILLIS = 10_000;
    /** The largest request body any endpoint accepts (webhooks carry a QR image: 10–20 KB in practice). */
    public static final long MAX_BODY_BYTES = 1_048_576;

    private final VertxPlatformHttpServerConfiguration configuration;
    private final Settings.Edge limits;
    private final EdgeGate gate;
    private final java.util.function.Predicate<String> reserved;
    private final AtomicInteger open = new AtomicInteger();
    private final Map<String, AtomicInteger> perAddress = new ConcurrentHashMap<>();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong headerTimeouts = new AtomicLong();
    private final AtomicLong bodyTimeouts = new AtomicLong();
    private volatile long lastRefusalLog;
    private Vertx vertx;
    private boolean ownVertx;
    private HttpServer server;

    /** @param reserved addresses no cap turns away (trusted proxies, Evolution API's own) */
    public EdgeHttpServer(int port, long maxBodySize, Settings.Edge limits, EdgeGate gate,
                          java.util.function.Predicate<String> reserved) {
        this(configuration(port, limits.bind(), maxBodySize), limits, gate, reserved);
    }

    private EdgeHttpServer(VertxPlatformHttpServerConfiguration configuration, Settings.Edge limits,
                           EdgeGate gate, java.util.function.Predicate<String> reserved) {
        super(configuration);
        this.configuration = configuration;
        this.reserved = reserved;
        this.limits = limits;
        this.gate = gate;
    }

    private static VertxPlatformHttpServerConfiguration configuration(int port, String bind, long maxBodySize) {
        VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
        configuration.setBindPort(port);
        configuration.setBindHost(bind);
        configuration.setMaxBodySize(maxBodySize);
        return configuration;
    }

    /** Connections open now, refused by a cap, and closed for not sending their headers, or a body, in time. */
    public record Counts(int open, long refused, long headerTimeouts, long bodyTimeouts) {
    }

    public Counts counts() {
        return new Counts(open.get(), refused.get(), headerTimeouts.get(), bodyTimeouts.get());
    }

    @Override
    protected void initializeServer() {
        vertx = getVertx() != null ? getVertx() : lookupVertx();
        if (vertx == null) {
            vertx = createVertxInstance();
            ownVertx = true;
        }
        Router router = Router.router(vertx);
        Router routes = Router.router(vertx);
        gate.install(router, routes);
        router.route("/*").subRouter(routes);
        long maxBody = configuration.getMaxBodySize();
        getCamelContext().getRegistry().bind(VertxPlatformHttpRouter.getRouterNameFromPort(configuration.getPort()),
                new VertxPlatformHttpRouter(this, vertx, routes, VertxPlatformHttpRouter.getRouterNameFromPort(
                        configuration.getPort())) {
                    @Override
                    public Handler<RoutingContext> bodyHandler() {
                        BodyHandler body = BodyHandler.create(false).setBodyLimit(maxBody);
                        return routing -> {
                            routing.request().resume();
                            body.handle(routing);
                        };
                    }
                });
        this.routerHandler = router;
    }

    private Router routerHandler;

    @Override
    protected void startServer() throws Exception {
        HttpServerOptions options = new HttpServerOptions()
                .setIdleTimeout((int) limits.idleTimeout().toSeconds()).setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setSendBufferSize(limits.sendBufferBytes())
                .setMaxHeaderSize(16 * 1024).setMaxInitialLineLength(8 * 1024)
                // no cleartext HTTP/2 (browsers use HTTP/2 only over TLS, i.e. through a proxy): its protocol
                // detection reads the first bytes before the connection is known, which would let a slow client
                // hold a connection that no cap or deadline sees
                .setHttp2ClearTextEnabled(false);
        server = vertx.createHttpServer(options);
        server.connectionHandler(this::admit);
        server.invalidRequestHandler(EdgeHttpServer::refuseMalformed);
        server.requestHandler(request -> {
            Long timer = headerTimers.remove(request.connection());
            if (timer != null) {
                vertx.cancelTimer(timer);
            }
            // the body has the same deadline, from the end of the headers: a client that sends it a byte at a time
            // (with or without a credential) cannot hold the connection
            if (!request.isEnded()) {
                vertx.setTimer(limits.headerTimeout().toMillis(), ignored -> {
                    // answered or not (a refused request's body is let go by unread), a body that does not end in
                    // time closes its connection
                    if (!request.isEnded()) {
                        bodyTimeouts.incrementAndGet();
                        request.connection().close();
                    }
                });
            }
            // a body framed by Transfer-Encoding: its connection ends with this answer. Netty drops a Content-Length
            // sent beside it and reads the chunks; a proxy in front that framed the body by the Content-Length
            // instead would otherwise have the rest read here as a next request (smuggling; RFC 9112 §6.1: MUST close)
            if (request.version() != HttpVersion.HTTP_2 && request.headers().contains("Transfer-Encoding")) {
                request.response().putHeader("Connection", "close");
                request.response().endHandler(ignored -> request.connection().close());
            } else if (request.version() != HttpVersion.HTTP_2) {
                // on HTTP/1.1 keep-alive, the next request's headers have the same deadline, from this answer's end
                request.response().endHandler(ignored -> startHeaderTimer(request.connection()));
            }
            routerHandler.handle(request);
        });
        CountDownLatch listening = new CountDownLatch(1);
        Throwable[] failure = new Throwable[1];
        server.listen(configuration.getBindPort(), configuration.getBindHost(), result -> {
            if (result.failed()) {
                failure[0] = result.cause();
            }
            listening.countDown();
        });
        listening.await();
        if (failure[0] != null) {
            throw new io.qrrefresher.config.InvalidSettingException(io.qrrefresher.config.Setting.HTTP_PORT, "port "
                    + configuration.getBindHost() + ":" + configuration.getBindPort() + " cannot be opened ("
                    + failure[0].getMessage() + ": another process holds it, or HTTP_BIND is not an address of this"
                    + " machine)");
        }
    }

    /**
     * A request the HTTP codec could not read (a request line over 8 KiB, headers over 16 KiB, a bad Content-Length,
     * not HTTP at all): answered with a JSON body that says which, then the connection is closed (the codec reads
     * nothing more of it).
     */
    private static void refuseMalformed(HttpServerRequest request) {
        Throwable cause = request.decoderResult() == null ? null : request.decoderResult().cause();
        String what = cause == null || cause.getMessage() == null ? "" : cause.getMessage();
        int status;
        String error;
        String message;
        if (cause instanceof TooLongFrameException && what.startsWith("An HTTP line is larger than")) {
            status = 414;
            error = "uri_too_long";
            message = "the request line is longer than 8 KiB (URL and query included)";
        } else if (cause instanceof TooLongFrameException && what.startsWith("HTTP header is larger than")) {
            status = 431;
            error = "headers_too_large";
            message = "the request headers are larger than 16 KiB";
        } else {
            status = 400;
            error = "bad_request";
            message = "the request is not valid HTTP/1.1 (its request line, a header or its Content-Length)";
        }
        HttpServerResponse response = request.response();
        if (response.ended() || response.closed()) {
            request.connection().close();
            return;
        }
        response.putHeader("Connection", "close");
        response.endHandler(ignored -> request.connection().close());
        EdgeGate.answer(response, status, error, message);
    }

    private final Map<HttpConnection, Long> headerTimers = new ConcurrentHashMap<>();

    private void admit(HttpConnection connection) {
        String address = connection.remoteAddress() == null ? "unknown" : connection.remoteAddress().hostAddress();
        boolean capped = !reserved.test(address);
        int all = open.incrementAndGet();
        AtomicInteger mine = capped ? perAddress.computeIfAbsent(address, key -> new AtomicInteger()) : null;
        int fromAddress = mine == null ? 0 : mine.incrementAndGet();
        connection.closeHandler(ignored -> {
            open.decrementAndGet();
            if (mine != null && mine.decrementAndGet() <= 0) {
                perAddress.remove(address, mine);
            }
            Long timer = headerTimers.remove(connection);
            if (timer != null) {
                vertx.cancelTimer(timer);
            }
        });
        connection.exceptionHandler(ignored -> {
            // a client that resets or half-sends: nothing to log per connection
        });
        if (capped && (all > limits.maxConnections() || fromAddress > limits.maxConnectionsPerAddress())) {
            refused.incrementAndGet();
            long now = System.currentTimeMillis();
            if (now - lastRefusalLog > REFUSAL_LOG_INTERVAL_MILLIS) {
                lastRefusalLog = now;
                LOG.warn("HTTP connections refused: {} open (HTTP_MAX_CONNECTIONS {}), {} from {}"
                                + " (HTTP_MAX_CONNECTIONS_PER_ADDRESS {}); {} refused since start", all,
                        limits.maxConnections(), fromAddress, address, limits.maxConnectionsPerAddress(),
                        refused.get());
            }
            connection.close();
            return;
        }
        startHeaderTimer(connection);
    }

    private void startHeaderTimer(HttpConnection connection) {
        long timer = vertx.setTimer(limits.headerTimeout().toMillis(), ignored -> {
            if (headerTimers.remove(connection) != null) {
                headerTimeouts.incrementAndGet();
                connection.close();
            }
        });
        Long previous = headerTimers.put(connection, timer);
        if (previous != null) {
            vertx.cancelTimer(previous);
        }
    }

    @Override
    protected void stopServer() {
        if (server == null) {
            return;
        }
        CountDownLatch closed = new CountDownLatch(1);
        server.close(ignored -> closed.countDown());
        try {
            closed.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server = null;
        if (ownVertx) {
            vertx.close();
        }
    }

    @Override
    public int getPort() {
        return server != null && server.actualPort() > 0 ? server.actualPort() : configuration.getBindPort();
    }

    @Override
    public String getHost() {
        return configuration.getBindHost();
    }
}
