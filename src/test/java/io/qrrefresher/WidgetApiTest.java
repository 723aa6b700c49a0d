package io.qrrefresher;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.support.LogCapture;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.parallel.ResourceLock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The HTTP side of the QR widget, as a browser meets it (Origin headers, preflights, the script, "get a new code"),
 * without a browser: what the browser tests check end to end, here case by case.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@ResourceLock("second-service") // reads the JVM's log: no other service may run meanwhile
@Order(Integer.MAX_VALUE) // last in order: by then no other service runs
class WidgetApiTest {

    static final String LISTED = "https://app.example.com";
    static final String OTHER = "https://evil.example.com";
    static ScriptedEvolutionApi evolution;
    static RunningService service;

    @BeforeAll
    static void start() throws Exception {
        evolution = ScriptedEvolutionApi.start();
        service = RunningService.against(evolution)
                .with("cors.allowed-origins", LISTED + ",http://localhost:3000")
                .with("qr.renew.min-interval", "PT1H")
                .with("qr.stream.auth-failures-per-minute", "20")
                .start();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        evolution.close();
    }

    @Test
    void preflightsAnswerListedOriginsOnly() throws Exception {
        for (String path : new String[] {"/instances/x/qr/stream", "/instances/x/qr/renew",
                "/instances/x/qr/pairing-code"}) {
            HttpResponse<String> listed = send(request(path, LISTED).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("Access-Control-Request-Method", path.endsWith("stream") ? "GET" : "POST")
                    .header("Access-Control-Request-Headers", "authorization"));
            assertThat(listed.statusCode()).as(path).isEqualTo(204);
            assertThat(listed.headers().firstValue("Access-Control-Allow-Origin")).hasValue(LISTED);
            assertThat(listed.headers().firstValue("Access-Control-Allow-Headers")).hasValueSatisfying(
                    headers -> assertThat(headers).containsIgnoringCase("authorization"));
            assertThat(listed.headers().firstValue("Access-Control-Allow-Methods"))
                    .hasValue(path.endsWith("stream") ? "GET" : "POST");

            HttpResponse<String> other = send(request(path, OTHER).method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                    .header("Access-Control-Request-Method", "GET"));
            assertThat(other.statusCode()).isEqualTo(403);
            // the refusal is readable by that page (it holds no data), and permits nothing: no methods, no headers
            assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
            assertThat(other.headers().firstValue("Access-Control-Allow-Methods")).isEmpty();
            assertThat(other.headers().firstValue("Access-Control-Allow-Headers")).isEmpty();
        }
    }

    @Test
    void theScriptIsCacheableAndLoadsOnAnyPage() throws Exception {
        HttpResponse<String> script = send(request("/widget/whatsapp-qr.js", null).GET());
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("text/javascript"));
        assertThat(script.body()).contains("customElements.define('whatsapp-qr'");
        String etag = script.headers().firstValue("ETag").orElseThrow();
        assertThat(send(request("/widget/whatsapp-qr.js", null).header("If-None-Match", etag).GET()).statusCode())
                .isEqualTo(304);

        // no data, no credential: every page may load it, so that a widget on a page not listed can say why it is
        // empty (the stream refuses that page)
        for (String origin : new String[] {"http://localhost:3000", OTHER}) {
            HttpResponse<String> loaded = send(request("/widget/whatsapp-qr.js", origin).GET());
            assertThat(loaded.statusCode()).isEqualTo(200);
            assertThat(loaded.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
        }
        // with every language's texts written in
        assertThat(script.body()).contains("const TEXTS = {\"en\":{", "\"pt-BR\":{", "\"es\":{")
                .doesNotContain("const TEXTS = null;");
        // the page with live demo widgets and their tokens exists in demo mode only
        assertThat(send(request("/", null).GET()).statusCode()).isEqualTo(404);
    }

    @Test
    void aStreamOpenedFromAnOriginNotListedIsRefused() throws Exception {
        waiting("api-stream");
        HttpResponse<String> refused = send(request("/instances/api-stream/qr/stream?token="
                + RunningService.viewerToken("api-stream"), OTHER).GET());

        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(refused.body()).contains("origin_not_allowed", "CORS_ALLOWED_ORIGINS");
        assertThat(refused.headers().firstValue("Access-Control-Allow-Origin")).hasValue("*");
    }

    @Test
    void getANewCodeMovesAClosedRowBackOnceAndSaysWhatHappened() throws Exception {
        evolution.addInstance("api-renew", "token-api-renew", State.CLOSE);
        service.db().insertInstance("api-renew", "token-api-renew", "close");
        int requestsBefore = connectRequests("api-renew");

        assertThat(renew("api-renew", null).statusCode()).isEqualTo(401);
        assertThat(renew("api-renew", RunningService.viewerToken("another-instance")).statusCode()).isEqualTo(401);
        // this name, another row (one deleted and created again): refused by the row, and nothing renewed
        assertThat(renew("api-renew", RunningService.viewerToken("api-renew",
                new io.qrrefresher.access.ViewerTokens.Binding("an-earlier-row", ""))).statusCode()).isEqualTo(401);
        assertThat(service.db().instance("api-renew").get("instance_status")).isEqualTo("close");
        HttpResponse<String> renewed = renew("api-renew", RunningService.viewerToken("api-renew"));

        assertThat(renewed.statusCode()).isEqualTo(202);
        assertThat(renewed.body()).contains("\"result\":\"requested\"");
        assertThat(service.db().instance("api-renew").get("instance_status")).isEqualTo("connecting");
        assertThat(connectRequests("api-renew")).isEqualTo(requestsBefore + 1);

        // asked again while a code is coming: nothing to do
        assertThat(renew("api-renew", RunningService.viewerToken("api-renew")).body())
                .contains("already_connecting");
        // closed again within QR_RENEW_MIN_INTERVAL: refused, with the wait
        service.db().update("UPDATE evolution_instances SET instance_status = 'close' WHERE instance_name = ?",
                "api-renew");
        HttpResponse<String> tooSoon = renew("api-renew", RunningService.viewerToken("api-renew"));
        assertThat(tooSoon.statusCode()).isEqualTo(429);
        assertThat(tooSoon.headers().firstValue("Retry-After")).isPresent();
        assertThat(service.db().instance("api-renew").get("instance_status")).isEqualTo("close");
    }

    @Test
    void aPairedInstanceNeedsNoNewCode() throws Exception {
        evolution.addInstance("api-open", "token-api-open", State.OPEN);
        service.db().insertInstance("api-open", "token-api-open", "open");

        HttpResponse<String> paired = renew("api-open", RunningService.viewerToken("api-open"));

        assertThat(paired.statusCode()).isEqualTo(409);
        assertThat(paired.body()).contains("\"error\":\"paired\"");
    }

    @Test
    void aTokenInTheUrlOfARenewalIsNotAccepted() throws Exception {
        evolution.addInstance("api-query", "token-api-query", State.CLOSE);
        service.db().insertInstance("api-query", "token-api-query", "close");

        HttpResponse<String> refused = send(request("/instances/api-query/qr/renew?token="
                + RunningService.viewerToken("api-query"), LISTED).POST(HttpRequest.BodyPublishers.noBody()));

        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(service.db().instance("api-query").get("instance_status")).isEqualTo("close");
    }

    @Test
    void aClosedInstanceGetsItsPairingCodeWithOneConnectAndTheNumber() throws Exception {
        evolution.addInstance("api-phone", "token-api-phone", State.CLOSE);
        // the new socket's first QR arrives while Evolution waits before answering connect
        evolution.whileConnectWaits("api-phone", () -> evolution.rotate("api-phone"));
        service.db().insertInstance("api-phone", "token-api-phone", "close");
        // a token for this name but another row (one deleted and created again) goes no further than the route
        // read-viewer-row: no Evolution call, no change
        int callsBefore = evolution.totalCalls();
        assertThat(pairingCode("api-phone", RunningService.viewerToken("api-phone",
                        new io.qrrefresher.access.ViewerTokens.Binding("an-earlier-row", "")),
                "{\"number\":\"+55 (11) 98765-4321\"}").statusCode()).isEqualTo(401);
        assertThat(evolution.totalCalls()).isEqualTo(callsBefore);
        assertThat(evolution.pairingNumber("api-phone")).isNull();
        assertThat(service.db().instance("api-phone").get("instance_status")).isEqualTo("close");

        HttpResponse<String> answered;
        try (LogCapture logs = LogCapture.open()) {
            answered = pairingCode("api-phone", RunningService.viewerToken("api-phone"),
                    "{\"number\":\"+55 (11) 98765-4321\"}");
            assertThat(logs.text()).contains("api-phone", "…4321").doesNotContain("5511987654321", "98765");
        }

        assertThat(answered.statusCode()).isEqualTo(200);
        String code = evolution.currentPairingCode("api-phone");
        assertThat(code).matches("[A-Z0-9]{8}");
        assertThat(Webhooks.json(answered).get("pairing_code").asText()).isEqualTo(code);
        assertThat(evolution.pairingNumber("api-phone")).isEqualTo("5511987654321");
        assertThat(evolution.socketsOpened("api-phone")).isEqualTo(1);
        assertThat(evolution.calls(EvolutionCall.LOGOUT, "api-phone")).isZero();
        var row = service.db().instance("api-phone");
        assertThat(row.get("instance_status")).isEqualTo("connecting");
        assertThat(row.get("pairing_code")).isEqualTo(code);
        assertThat((String) row.get("qr_code")).startsWith("data:image/png;base64,");

        // the request it made is served: the refresh reads, and opens no second socket
        service.refresh();
        assertThat(evolution.socketsOpened("api-phone")).isEqualTo(1);
        // a rotation brings the next code (here by the poll)
        evolution.rotate("api-phone");
        service.refresh();
        assertThat(service.db().instance("api-phone").get("pairing_code"))
                .isEqualTo(evolution.currentPairingCode("api-phone")).isNotEqualTo(code);
        // one socket per QR_RENEW_MIN_INTERVAL, shared with "get a new code"
        HttpResponse<String> tooSoon = pairingCode("api-phone", RunningService.viewerToken("api-phone"),
                "{\"number\":\"+5511987654321\"}");
        assertThat(tooSoon.statusCode()).isEqualTo(429);
        assertThat(evolution.socketsOpened("api-phone")).isEqualTo(1);
    }

    @Test
    void aWaitingInstanceIsLoggedOutOnceThenConnectedWithTheNumber() throws Exception {
        waiting("api-switch");
        service.refresh();
        String qrBefore = (String) service.db().instance("api-switch").get("qr_code");
        assertThat(qrBefore).isNotNull();

        HttpResponse<String> answered = pairingCode("api-switch", RunningService.viewerToken("api-switch"),
                "{\"number\":\"447911123456\"}");

        // no QR came during connect's wait: the code follows with the next rotation
        assertThat(answered.statusCode()).isEqualTo(202);
        assertThat(answered.body()).contains("\"result\":\"requested\"");
        assertThat(evolution.calls(EvolutionCall.LOGOUT, "api-switch")).isEqualTo(1);
        assertThat(evolution.socketsOpened("api-switch")).isEqualTo(1);
        assertThat(evolution.pairingNumber("api-switch")).isEqualTo("447911123456");
        var row = service.db().instance("api-switch");
        assertThat(row.get("instance_status")).isEqualTo("connecting");
        assertThat(row.get("qr_code")).as("the QR of the ended session is not shown").isNull();

        evolution.rotate("api-switch");
        service.refresh();
        assertThat(service.db().instance("api-switch").get("pairing_code"))
                .isEqualTo(evolution.currentPairingCode("api-switch")).isNotNull();
        assertThat(evolution.socketsOpened("api-switch")).isEqualTo(1);
    }

    @Test
    void twoPairingRequestsAtOnceLogTheInstanceOutOnce() throws Exception {
        waiting("api-twice");
        // every Evolution call for it takes a while: the two requests overlap
        evolution.delay("api-twice", Duration.ofMillis(300));
        String token = RunningService.viewerToken("api-twice");
        var first = java.util.concurrent.CompletableFuture.supplyAsync(() -> pairingCodeQuietly("api-twice", token));
        var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> pairingCodeQuietly("api-twice", token));

        List<Integer> statuses = List.of(first.get().statusCode(), second.get().statusCode());

        assertThat(statuses).containsExactlyInAnyOrder(202, 429);
        assertThat(evolution.calls(EvolutionCall.LOGOUT, "api-twice")).isEqualTo(1);
        assertThat(evolution.socketsOpened("api-twice")).isEqualTo(1);
    }

    @Test
    void aRequestEvolutionRefusesCanBeMadeAgainAtOnce() throws Exception {
        service.db().insertInstance("api-unknown", "token-api-unknown", "close");
        String token = RunningService.viewerToken("api-unknown");

        HttpResponse<String> refused = pairingCode("api-unknown", token, "{\"number\":\"5511987654321\"}");

        // Evolution does not know the instance (404): nothing was opened, nothing is held against it
        assertThat(refused.statusCode()).isEqualTo(502);
        assertThat(refused.body()).contains("evolution_failed").doesNotContain("404");
        assertThat(pairingCode("api-unknown", token, "{\"number\":\"5511987654321\"}").statusCode()).isEqualTo(502);
        assertThat(service.db().instance("api-unknown").get("instance_status")).isEqualTo("close");
    }

    @Test
    void aConnectEvolutionFailsIs503AndTheSocketItMayHaveOpenedIsNotAskedAgain() throws Exception {
        evolution.addInstance("api-phone-down", "token-api-phone-down", State.CLOSE);
        service.db().insertInstance("api-phone-down", "token-api-phone-down", "close");
        // Evolution fails the connect itself (after it may have started the socket): HTTP 500
        evolution.fault("api-phone-down", EvolutionCall.CONNECT, io.qrrefresher.demo.EvolutionSimulator.Reply.json(500,
                java.util.Map.of("status", 500, "error", "Internal Server Error",
                        "response", java.util.Map.of("message", List.of("Error: socket hang up")))));
        String token = RunningService.viewerToken("api-phone-down");

        HttpResponse<String> failed = pairingCode("api-phone-down", token, "{\"number\":\"5511987654321\"}");

        assertThat(failed.statusCode()).isEqualTo(503);
        assertThat(failed.body()).contains("\"error\":\"unavailable\"").doesNotContain("socket hang up");
        // the row waits for the code the socket may bring; no second socket within QR_RENEW_MIN_INTERVAL
        assertThat(service.db().instance("api-phone-down").get("instance_status")).isEqualTo("connecting");
        assertThat(service.db().instance("api-phone-down").get("pairing_code")).isNull();
        assertThat(pairingCode("api-phone-down", token, "{\"number\":\"5511987654321\"}").statusCode())
                .isEqualTo(429);
        assertThat(evolution.calls(EvolutionCall.CONNECT, "api-phone-down")).isEqualTo(1);
    }

    @Test
    void whatIsNotAPhoneNumberNeverReachesEvolution() throws Exception {
        evolution.addInstance("api-badnumber", "token-api-badnumber", State.CLOSE);
        service.db().insertInstance("api-badnumber", "token-api-badnumber", "close");
        String token = RunningService.viewerToken("api-badnumber");

        for (String body : new String[] {"{\"number\":\"1234567\"}", "{\"number\":\"+0 11 98765 4321\"}",
                "{\"number\":\"5511987654321&mobile=1\"}", "{\"number\":5511987654321}", "5511987654321", "",
                "{\"number\":\"1234567890123456\"}"}) {
            HttpResponse<String> refused = pairingCode("api-badnumber", token, body);
            assertThat(refused.statusCode()).as(body).isEqualTo(400);
            assertThat(refused.body()).contains("invalid_number");
        }
        HttpResponse<String> large = pairingCode("api-badnumber", token,
                "{\"number\":\"5511987654321\",\"pad\":\"" + "x".repeat(4000) + "\"}");
        assertThat(large.statusCode()).isEqualTo(413);
        assertThat(pairingCode("api-badnumber", null, "{\"number\":\"5511987654321\"}").statusCode())
                .isEqualTo(401);
        assertThat(evolution.calls(EvolutionCall.CONNECTION_STATE, "api-badnumber")
                + evolution.calls(EvolutionCall.CONNECT, "api-badnumber")).isZero();
        assertThat(service.db().instance("api-badnumber").get("instance_status")).isEqualTo("close");
    }

    @Test
    void aPairedInstanceNeedsNoPairingCode() throws Exception {
        evolution.addInstance("api-phone-open", "token-api-phone-open", State.OPEN);
        service.db().insertInstance("api-phone-open", "token-api-phone-open", "open");

        HttpResponse<String> paired = pairingCode("api-phone-open", RunningService.viewerToken("api-phone-open"),
                "{\"number\":\"5511987654321\"}");

        assertThat(paired.statusCode()).isEqualTo(409);
        assertThat(evolution.socketsOpened("api-phone-open")).isZero();
    }

    @Test
    @Order(Order.DEFAULT + 1)
    void aRenewalThatCannotBeStoredIs503AndTheRowIsUntouched() throws Exception {
        evolution.addInstance("api-down", "token-api-down", State.CLOSE);
        service.db().insertInstance("api-down", "token-api-down", "close");
        // the table goes away for a moment, as when the database is unreachable
        service.db().update("ALTER TABLE evolution_instances RENAME TO evolution_instances_away");
        HttpResponse<String> unavailable;
        try {
            unavailable = renew("api-down", RunningService.viewerToken("api-down"));
        } finally {
            service.db().update("ALTER TABLE evolution_instances_away RENAME TO evolution_instances");
        }

        assertThat(unavailable.statusCode()).isEqualTo(503);
        assertThat(unavailable.body()).contains("\"error\":\"unavailable\"");
        assertThat(service.db().instance("api-down").get("instance_status")).isEqualTo("close");
        // nothing was recorded against the instance: it can be asked again at once
        assertThat(renew("api-down", RunningService.viewerToken("api-down")).statusCode()).isEqualTo(202);
    }

    @Test
    @Order(Order.DEFAULT + 2) // last: it locks this address out for the rest of the minute
    void aFloodOfBadTokensIsTurnedAwayBeforeAnyWork() throws Exception {
        evolution.addInstance("api-flood", "token-api-flood", State.CLOSE);
        service.db().insertInstance("api-flood", "token-api-flood", "close");
        int refused = 0;
        HttpResponse<String> answer;
        do {
            answer = renew("api-flood", "v1.forged." + refused);
            refused++;
        } while (answer.statusCode() == 401 && refused <= 25);

        assertThat(answer.statusCode()).isEqualTo(429);
        assertThat(answer.headers().firstValue("Retry-After")).isPresent();
        assertThat(refused).isLessThanOrEqualTo(21);
        // the address is refused before its credential is even read, a good one included; the stream says the same
        assertThat(renew("api-flood", RunningService.viewerToken("api-flood")).statusCode()).isEqualTo(429);
        assertThat(send(request("/instances/api-flood/qr/stream?token=" + RunningService.viewerToken("api-flood"),
                null).GET()).statusCode()).isEqualTo(429);
        assertThat(service.db().instance("api-flood").get("instance_status")).isEqualTo("close");
    }

    private static HttpResponse<String> renew(String instance, String token) throws Exception {
        HttpRequest.Builder request = request("/instances/" + instance + "/qr/renew", LISTED)
                .POST(HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request);
    }

    private static HttpResponse<String> pairingCodeQuietly(String instance, String token) {
        try {
            return pairingCode(instance, token, "{\"number\":\"5511987654321\"}");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> pairingCode(String instance, String token, String body) throws Exception {
        HttpRequest.Builder request = request("/instances/" + instance + "/qr/pairing-code", LISTED)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return send(request);
    }

    private static int connectRequests(String instance) {
        Object requests = service.db().queryOne("SELECT COALESCE((SELECT s.connect_requests FROM"
                + " qr_refresher.instance_state s JOIN evolution_instances e ON e.id = s.instance_id"
                + " WHERE e.instance_name = ?), 0) AS n", instance).get("n");
        return ((Number) requests).intValue();
    }

    private static void waiting(String name) {
        evolution.addInstance(name, "token-" + name, State.CONNECTING);
        evolution.rotate(name);
        service.db().insertInstance(name, "token-" + name, "connecting");
    }

    private static HttpRequest.Builder request(String path, String origin) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(service.url(path)).timeout(Duration.ofSeconds(10));
        if (origin != null) {
            builder.header("Origin", origin);
        }
        return builder;
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return service.send(request.build());
    }
}
