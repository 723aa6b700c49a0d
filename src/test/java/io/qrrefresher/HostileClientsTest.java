package io.qrrefresher;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.UnixOperatingSystemMXBean;
import io.qrrefresher.refresh.RefreshControl;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ServiceUnderTest;
import io.qrrefresher.support.Webhooks;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every endpoint of the public port, as a hostile client meets them. The endpoints are not listed here: they are read
 * from the running router (Camel's routes of the {@code rest:} blocks and {@code platform-http} consumers, and the
 * Vert.x handlers), so that an endpoint added tomorrow is attacked without being named. Each one gets: no credential
 * with a large body, well-shaped fake credentials, the admin token in the query string, header-named query parameters,
 * a duplicate path parameter, a slow header and an idle keep-alive. Every answer must refuse (or, for the pages that
 * hold no data, serve), say why in JSON, and carry no inbound header; afterwards the process holds no more descriptors
 * or memory than before, and the management port answered throughout.
 */
// alone: it measures the process's descriptors and heap, which other classes in the same JVM would move
@org.junit.jupiter.api.parallel.Isolated
class HostileClientsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final String TARGET = "hostile-target";
    /** Pages, scripts and the icon: they hold no data and need no credential. */
    static final Set<String> PUBLIC = Set.of("GET /wall", "GET /wall/wall.js", "GET /widget/whatsapp-qr.js",
            "GET /favicon.ico", "GET /link-page.js");
    static final String NONCE = "probe-" + UUID.randomUUID();

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create()
            .with("evolution.webhook-token", Webhooks.TOKEN)
            .with("http.header-timeout-ms", "1000")
            .with("http.idle-timeout-seconds", "2")
            .with("qr.stream.heartbeat-ms", "300")
            .with("qr.stream.auth-failures-per-minute", "100000");

    static List<String> endpoints;

    @BeforeAll
    static void surface() {
        sut.connectingInstanceWithQr(TARGET);
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(sut.service().context(),
                VertxPlatformHttpRouter.getRouterNameFromPort(sut.service().url("/").getPort()));
        Set<String> found = new TreeSet<>();
        for (Route route : router.getRoutes()) {
            String path = route.getPath();
            if (path == null) {
                continue;
            }
            Set<HttpMethod> methods = route.methods() == null || route.methods().isEmpty()
                    ? Set.of(HttpMethod.GET, HttpMethod.POST) : route.methods();
            for (HttpMethod method : methods) {
                if (method != HttpMethod.OPTIONS) {
                    found.add(method.name() + " " + path.replaceAll("/?\\*$", ""));
                }
            }
        }
        endpoints = List.copyOf(found);
        System.out.printf("[figures] hostile clients: %d endpoints found on the router: %s%n", endpoints.size(),
                endpoints);
    }

    @Test
    void theSurfaceIsFoundFromTheRoutesThemselves() {
        // the suite is only as good as its enumeration: the endpoints every kind of caller uses must be there
        assertThat(endpoints).contains("POST /webhooks/evolution", "GET /instances/:name/qr/stream",
                "POST /instances/:name/qr/renew", "POST /instances/:name/qr/pairing-code",
                "POST /instances/:name/viewer-token", "GET /refresh-runs", "POST /refresh-control/pause",
                "GET /wall/instances", "GET /widget/whatsapp-qr.js",
                "POST /instances/:name/link", "DELETE /instances/:name/link", "GET /link/:link");
    }

    @Test
    void everyEndpointRefusesEveryHostileRequestAndLeavesNothingBehind() throws Exception {
        ManagementWatch watch = ManagementWatch.start();
        long descriptors = openDescriptors();
        long heap = usedHeapAfterGc();
        try {
            for (String endpoint : endpoints) {
                String method = endpoint.substring(0, endpoint.indexOf(' '));
                String path = endpoint.substring(endpoint.indexOf(' ') + 1).replace(":name", TARGET);
                boolean isPublic = PUBLIC.contains(method + " " + path);

                // no credential, a large body
                HttpResponse<String> anonymous = send(method, path, "x".repeat(900_000), null);
                assertNoInboundHeader(endpoint, anonymous);
                // nothing is cached unless it says so: only the widget's script may be
                if (!path.equals("/widget/whatsapp-qr.js")) {
                    assertThat(anonymous.headers().firstValue("Cache-Control")).as(endpoint).hasValue("no-store");
                }
                if (isPublic) {
                    assertThat(anonymous.statusCode()).as(endpoint).isEqualTo(200);
                } else {
                    assertRefused(endpoint + " anonymous", anonymous, 401, 403);
                }
                // well-shaped fake credentials: 64 hex digits, a viewer token, a JWT, the admin token's shape
                for (String fake : new String[] {"ab".repeat(32), "v2.eA.eA.eA.9999999999.eA",
                        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", RunningService.ADMIN_TOKEN + "x"}) {
                    HttpResponse<String> forged = send(method, path, "{}", "Bearer " + fake);
                    if (!isPublic) {
                        assertRefused(endpoint + " fake " + fake, forged, 401, 403);
                    }
                }
                // the admin token in the query string, as a header name or as ?token=
                assertRefused(endpoint + " ?Authorization=", send(method, path + "?Authorization=Bearer%20"
                        + RunningService.ADMIN_TOKEN, "{}", null), 400);
                if (!isPublic) {
                    HttpResponse<String> tokenInUrl = send(method, path + "?token=" + RunningService.ADMIN_TOKEN,
                            "{}", null);
                    assertRefused(endpoint + " ?token=admin", tokenInUrl, 401, 403);
                }
                // header-named query parameters, with a real credential: nothing of them comes back
                HttpResponse<String> headerNamed = send(method, path + "?Set-Cookie=pwn%3D1"
                        + "&Access-Control-Allow-Origin=https://evil.example", "{}", "Bearer "
                        + RunningService.ADMIN_TOKEN);
                assertRefused(endpoint + " header-named query", headerNamed, 400);
                assertThat(headerNamed.headers().firstValue("Set-Cookie")).as(endpoint).isEmpty();
                assertThat(headerNamed.headers().firstValue("Access-Control-Allow-Origin")).as(endpoint).isEmpty();
                // a path variable again in the query
                assertRefused(endpoint + " ?name=", send(method, path + "?name=someone-else", "{}", "Bearer "
                        + RunningService.ADMIN_TOKEN), 400);
                // a header's name after ';', which the router's query decoder splits on as on '&'
                assertRefused(endpoint + " ;Authorization=", send(method, path + "?v=1;Authorization=x", "{}",
                        "Bearer " + RunningService.ADMIN_TOKEN), 400);
                // a method the path does not take: 405, naming those it takes
                HttpResponse<String> otherMethod = send("PATCH", path, "{}", "Bearer " + RunningService.ADMIN_TOKEN);
                assertRefused(endpoint + " PATCH", otherMethod, 405);
                assertThat(otherMethod.headers().firstValue("Allow")).as(endpoint + " Allow")
                        .hasValueSatisfying(allow -> assertThat(allow).contains(method));
                // a preflight without an Origin: whatever the answer, a refusal has the shape of every refusal
                HttpResponse<String> preflight = send("OPTIONS", path, "", null);
                if (preflight.statusCode() >= 400) {
                    assertRefused(endpoint + " OPTIONS", preflight, preflight.statusCode());
                }
            }
            // a slow header and an idle keep-alive, on every endpoint at once: the server closes both
            List<Socket> slow = new ArrayList<>();
            List<Socket> idle = new ArrayList<>();
            try {
                for (String endpoint : endpoints) {
                    String path = endpoint.substring(endpoint.indexOf(' ') + 1).replace(":name", TARGET);
                    slow.add(slowHeader(path));
                    idle.add(idleKeepAlive(path));
                }
                for (Socket socket : slow) {
                    assertThat(io.qrrefresher.support.RawSockets.closedByServer(socket)).as("a slow header is cut").isTrue();
                }
                for (Socket socket : idle) {
                    assertThat(io.qrrefresher.support.RawSockets.closedByServer(socket)).as("an idle keep-alive is closed").isTrue();
                }
            } finally {
                slow.forEach(HostileClientsTest::closeQuietly);
                idle.forEach(HostileClientsTest::closeQuietly);
            }
        } finally {
            watch.stop();
        }
        assertThat(watch.failures).as("management health while attacked").isEmpty();
        assertThat(watch.answered.get()).as("management health was asked").isTrue();
        await().atMost(Duration.ofSeconds(60)).until(() -> openDescriptors() <= descriptors + 16);
        await().atMost(Duration.ofSeconds(60)).until(() -> usedHeapAfterGc() <= heap + 64L * 1024 * 1024);
        assertThat(sut.service().bean(RefreshControl.class).isPaused()).as("nothing was changed").isFalse();
    }

    @Test
    void anEndpointThatNeedsACredentialRefusesBeforeReadingTheBody() throws Exception {
        // headers that announce a body which never comes: the refusal must not wait for it (no body is read, parsed
        // or buffered for a caller who is not known)
        for (String endpoint : endpoints) {
            String method = endpoint.substring(0, endpoint.indexOf(' '));
            String path = endpoint.substring(endpoint.indexOf(' ') + 1).replace(":name", TARGET);
            if (PUBLIC.contains(method + " " + path) || method.equals("GET")) {
                continue;
            }
            // and the same path written as the router still routes it: '//', '/./', a percent-encoded letter
            String doubled = path.substring(0, path.lastIndexOf('/')) + "/" + path.substring(path.lastIndexOf('/'));
            for (String written : new String[] {path, "/" + path, "/." + path, doubled,
                    "/%" + Integer.toHexString(path.charAt(1)) + path.substring(2)}) {
                refusedBeforeTheBody(method + " " + written, method, written);
            }
        }
    }

    private static void refusedBeforeTheBody(String endpoint, String method, String path) throws Exception {
        {
            try (Socket socket = connect()) {
                socket.setSoTimeout(5_000);
                socket.getOutputStream().write((method + " " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type:"
                        + " application/json\r\nContent-Length: 500000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII));
                RawAnswer answer;
                try {
                    answer = RawAnswer.read(socket.getInputStream());
                } catch (IOException e) {
                    throw new AssertionError(endpoint + " did not answer before the body: " + e.getMessage(), e);
                }
                assertThat(answer.status()).as(endpoint + ": " + answer.body()).isIn(401, 403);
                assertThat(JSON.readTree(answer.body()).path("message").asText()).as(endpoint).isNotBlank();
            }
        }
    }

    @Test
    void aSubPathOfAPrefixEndpointAndTheManagementPortAnswerTheirOwnFailuresInJson() throws Exception {
        // the webhooks also take /webhooks/evolution/{event}: a GET there names POST
        HttpResponse<String> webhookGet = send("GET", "/webhooks/evolution/qrcode-updated", "", null);
        assertRefused("GET /webhooks/evolution/qrcode-updated", webhookGet, 405);
        assertThat(webhookGet.headers().firstValue("Allow")).hasValue("POST");
        // the management port: no such path, a method its path does not take
        HttpResponse<String> missing = HTTP.send(HttpRequest.newBuilder(sut.service().managementUrl("/no-such-page"))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertRefused("management 404", missing, 404);
        HttpResponse<String> posted = HTTP.send(HttpRequest.newBuilder(sut.service().managementUrl("/observe/health"))
                .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertRefused("management POST /observe/health", posted, 405);
        assertThat(posted.headers().firstValue("Allow")).hasValueSatisfying(allow -> assertThat(allow).contains("GET"));
    }

    @Test
    void twoHostsOrAControlCharacterInAnInstanceNameAreRefusedBeforeAnyRoute() throws Exception {
        String[] requests = {
                "GET /widget/whatsapp-qr.js HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "GET /instances/x%00/status HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /instances/x%0d%0aSet-Cookie:%20a=b/qr/stream HTTP/1.1\r\nHost: x\r\n\r\n"};
        for (String request : requests) {
            try (Socket socket = connect()) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
                RawAnswer answer = RawAnswer.read(socket.getInputStream());
                String what = request.substring(0, request.indexOf("\r\n"));
                assertThat(answer.status()).as(what + ": " + answer.body()).isEqualTo(400);
                JsonNode body = JSON.readTree(answer.body());
                assertThat(body.path("error").asText()).as(what).isEqualTo("bad_request");
                assertThat(body.path("message").asText()).as(what).containsAnyOf("Host", "control characters");
                assertThat(answer.head()).as(what).doesNotContainIgnoringCase("set-cookie");
            }
        }
    }

    @Test
    void whatTheHttpCodecCannotReadIsAnsweredInJson() throws Exception {
        String[][] cases = {
                {"GET /refresh-runs?limit=" + "1".repeat(9_000) + " HTTP/1.1\r\nHost: x\r\n\r\n", "414"},
                {"GET /refresh-runs HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(17_000) + "\r\n\r\n", "431"},
                {"POST /webhooks/evolution HTTP/1.1\r\nHost: x\r\nContent-Length: twelve\r\n\r\n", "400"},
                {"\u0001\u0002 not http at all\r\n\r\n", "400"}};
        for (String[] request : cases) {
            try (Socket socket = connect()) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(request[0].getBytes(StandardCharsets.ISO_8859_1));
                RawAnswer answer = RawAnswer.read(socket.getInputStream());
                String what = request[0].substring(0, Math.min(40, request[0].length()));
                assertThat(answer.status()).as(what).isEqualTo(Integer.parseInt(request[1]));
                assertThat(answer.head().toLowerCase()).as(what).contains("content-type: application/json");
                assertThat(JSON.readTree(answer.body()).path("message").asText()).as(what).isNotBlank();
                assertThat(io.qrrefresher.support.RawSockets.closedByServer(socket)).as(what + ": the connection is closed").isTrue();
            }
        }
    }

    /** An HTTP/1.1 answer read off a raw socket: status, head and a Content-Length body. */
    record RawAnswer(int status, String head, String body) {
        static RawAnswer read(InputStream in) throws IOException {
            java.io.ByteArrayOutputStream head = new java.io.ByteArrayOutputStream();
            int matched = 0;
            while (matched < 4) {
                int b = in.read();
                if (b < 0) {
                    throw new IOException("closed before an answer: " + head);
                }
                head.write(b);
                matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
            }
            String text = head.toString(StandardCharsets.ISO_8859_1);
            java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?im)^content-length:\\s*(\\d+)")
                    .matcher(text);
            byte[] body = length.find() ? in.readNBytes(Integer.parseInt(length.group(1))) : new byte[0];
            return new RawAnswer(Integer.parseInt(text.substring(9, 12)), text,
                    new String(body, StandardCharsets.UTF_8));
        }
    }

    private static void assertRefused(String what, HttpResponse<String> response, int... statuses) throws IOException {
        List<Integer> allowed = new ArrayList<>();
        for (int status : statuses) {
            allowed.add(status);
        }
        assertThat(response.statusCode()).as(what + ": " + response.body()).isIn(allowed);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).as(what).startsWith("application/json");
        JsonNode body = JSON.readTree(response.body());
        // the shape of every refusal: success false, a stable error code, a message that says what was wrong
        assertThat(body.path("success").isBoolean() && !body.path("success").asBoolean()).as(what + ": "
                + response.body()).isTrue();
        assertThat(body.path("error").asText()).as(what + " has an error code").isNotBlank();
        assertThat(body.path("message").asText()).as(what + " says what was wrong").isNotBlank();
        assertNoInboundHeader(what, response);
    }

    private static void assertNoInboundHeader(String what, HttpResponse<String> response) {
        response.headers().map().forEach((name, values) -> assertThat(values).as(what + " header " + name)
                .noneMatch(value -> value.contains(NONCE)));
    }

    private static HttpResponse<String> send(String method, String path, String body, String authorization)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(sut.service().url(path)).timeout(Duration.ofSeconds(30))
                .header("X-Probe", NONCE).header("Cache-Control", NONCE).header("Retry-After", NONCE)
                .header("Content-Type", "application/json")
                .method(method, method.equals("GET") ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        // a live stream that opened would never end: read what came at once, then hang up
        String text;
        try (InputStream in = response.body()) {
            text = response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")
                    ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        String answered = text;
        return new HttpResponse<>() {
            public int statusCode() { return response.statusCode(); }
            public HttpRequest request() { return response.request(); }
            public java.util.Optional<HttpResponse<String>> previousResponse() { return java.util.Optional.empty(); }
            public java.net.http.HttpHeaders headers() { return response.headers(); }
            public String body() { return answered; }
            public java.util.Optional<javax.net.ssl.SSLSession> sslSession() { return java.util.Optional.empty(); }
            public URI uri() { return response.uri(); }
            public HttpClient.Version version() { return response.version(); }
        };
    }

    private static Socket slowHeader(String path) throws IOException {
        Socket socket = connect();
        socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                .getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    private static Socket idleKeepAlive(String path) throws IOException {
        Socket socket = connect();
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + "?Authorization=x HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", sut.service().url("/").getPort()), 5_000);
        socket.setSoTimeout(60_000);
        return socket;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    private static long openDescriptors() {
        return ((UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getOpenFileDescriptorCount();
    }

    private static long usedHeapAfterGc() {
        System.gc();
        Runtime runtime = Runtime.getRuntime();
        return runtime.totalMemory() - runtime.freeMemory();
    }

    /** Asks the management port's liveness over and over, on a thread of its own, recording what did not answer. */
    private static final class ManagementWatch {
        final List<String> failures = new CopyOnWriteArrayList<>();
        final AtomicBoolean answered = new AtomicBoolean();
        final AtomicBoolean stop = new AtomicBoolean();
        Thread thread;

        static ManagementWatch start() {
            ManagementWatch watch = new ManagementWatch();
            watch.thread = new Thread(() -> {
                while (!watch.stop.get()) {
                    try {
                        HttpResponse<String> live = HTTP.send(HttpRequest.newBuilder(
                                sut.service().managementUrl("/observe/health/live")).timeout(Duration.ofSeconds(10))
                                .build(), HttpResponse.BodyHandlers.ofString());
                        if (live.statusCode() == 200) {
                            watch.answered.set(true);
                        } else {
                            watch.failures.add(live.statusCode() + " " + live.body());
                        }
                    } catch (IOException e) {
                        watch.failures.add(e.toString());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "management-watch");
            watch.thread.start();
            return watch;
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(30_000);
        }
    }
}
