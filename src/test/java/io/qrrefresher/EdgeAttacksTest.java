package io.qrrefresher;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.refresh.RefreshControl;
import io.qrrefresher.stream.QrStreams;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ServiceUnderTest;
import io.qrrefresher.support.SseClient;
import io.qrrefresher.support.Webhooks;
import io.qrrefresher.webhook.WebhookEvents;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The attacks of the edge issue, one test each: what an anonymous or low-privilege client did, and that it no longer
 * works. (The HTTP surface as a whole is attacked by {@link HostileClientsTest}.)
 */
class EdgeAttacksTest {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create()
            .with("evolution.webhook-token", Webhooks.TOKEN)
            .with("trusted.proxies", "127.0.0.1")
            .with("qr.stream.auth-failures-per-minute", "20")
            .with("qr.stream.heartbeat-ms", "300")
            // the byte bound out of reach: only how far behind a reader is can drop it
            .with("qr.stream.client-buffer-bytes", "16777216")
            .with("http.send-buffer-bytes", "4096");
    Webhooks webhooks;

    @BeforeEach
    void webhooks() {
        webhooks = new Webhooks(sut.service());
    }

    // row 1: a well-shaped fake per-instance token fed an unbounded map keyed by the body's server_url
    @Test
    void anonymousWebhooksWithUniqueServerUrlsLeaveNothingBehind() throws Exception {
        sut.db().insertInstance("row1", "token-row1", "connecting");
        String fake = "ab".repeat(32);
        int before = sut.service().bean(WebhookEvents.class).serversRemembered();
        for (int i = 0; i < 50; i++) {
            String body = Webhooks.qrEvent("row1", "2@row1-" + i, null)
                    .replace("\"instance\":\"row1\"", "\"instance\":\"row1\",\"server_url\":\"https://x" + i + ".example/"
                            + "y".repeat(100_000) + "\"");
            HttpResponse<String> answer = webhooks.post("/webhooks/evolution?token=" + fake, body, null);
            assertThat(answer.statusCode()).isEqualTo(401);
        }

        assertThat(sut.service().bean(WebhookEvents.class).serversRemembered()).isEqualTo(before);
        assertThat(sut.db().instance("row1").get("qr_code")).isNull();
    }

    // row 2: unauthenticated future-dated events made every genuine one look late
    @Test
    void unauthenticatedFutureDatedWebhooksCannotMakeGenuineOnesLate() throws Exception {
        sut.db().insertInstance("row2", "token-row2", "connecting");
        Instant future = Instant.now().plus(Duration.ofHours(14));
        for (int i = 0; i < 3; i++) {
            assertThat(webhooks.post("/webhooks/evolution?token=" + "cd".repeat(32),
                    Webhooks.qrEvent("row2", "2@forged-" + i, future.plusSeconds(i)), null).statusCode())
                    .isEqualTo(401);
        }
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> genuine = webhooks.post(Webhooks.qrEvent("row2", "2@genuine-" + i, null));

            assertThat(genuine.statusCode()).as(genuine.body()).isEqualTo(200);
            assertThat(sut.db().instance("row2").get("qr_code"))
                    .isEqualTo(io.qrrefresher.evolution.QrImages.dataUrl("2@genuine-" + i));
        }
    }

    // row 4: failures behind a reverse proxy were counted against the proxy, locking out everyone behind it
    @Test
    void behindATrustedProxyFailuresCountAgainstTheClientNotTheProxy() throws Exception {
        sut.connectingInstanceWithQr("row4");
        sut.service().refresh();
        for (int i = 0; i < 30; i++) {
            stream("row4", "v2.forged." + i, "198.51.100.7");
        }
        assertThat(stream("row4", "v2.forged.last", "198.51.100.7")).as("the attacker").isEqualTo(429);

        assertThat(stream("row4", RunningService.viewerToken("row4"), "198.51.100.8")).as("another client")
                .isEqualTo(200);
        // what a client behind the proxy writes about itself is not believed: it stays the right-most hop
        assertThat(stream("row4", RunningService.viewerToken("row4"), "198.51.100.7, 198.51.100.9"))
                .isEqualTo(200);
        assertThat(stream("row4", RunningService.viewerToken("row4"), "198.51.100.9, 198.51.100.7"))
                .isEqualTo(429);
    }

    // row 5: a viewer token opened the stream of whoever held the name later
    @Test
    void aViewerTokenIsForTheRowAndOwnerItWasMintedFor() throws Exception {
        UUID alice = UUID.randomUUID();
        sut.connectingInstanceWithQr("alice-inst");
        sut.db().update("UPDATE evolution_instances SET user_id = ? WHERE instance_name = 'alice-inst'", alice);
        sut.service().refresh();
        JsonNode minted = Webhooks.json(sut.service().post("/instances/alice-inst/viewer-token",
                RunningService.ADMIN_TOKEN));
        String token = minted.get("token").asText();
        assertThat(stream("alice-inst", token, null)).isEqualTo(200);

        try (SseClient open = SseClient.open(sut.service().url("/instances/alice-inst/qr/stream"), "Bearer " + token)) {
            assertThat(open.status()).isEqualTo(200);
            sut.db().update("UPDATE evolution_instances SET user_id = ? WHERE instance_name = 'alice-inst'",
                    UUID.randomUUID());
            webhooks.post(Webhooks.qrEvent("alice-inst", "2@after-the-change", null));
            assertThat(open.ended(SseClient.PATIENCE)).as("the open stream ends").isTrue();
        }
        assertThat(stream("alice-inst", token, null)).as("given to another user").isEqualTo(401);

        sut.db().update("UPDATE evolution_instances SET user_id = ? WHERE instance_name = 'alice-inst'", alice);
        assertThat(stream("alice-inst", token, null)).as("back to its owner").isEqualTo(200);
        sut.db().update("DELETE FROM evolution_instances WHERE instance_name = 'alice-inst'");
        sut.db().insertInstance("alice-inst", "token-alice-inst-2", "connecting");
        sut.db().update("UPDATE evolution_instances SET user_id = ? WHERE instance_name = 'alice-inst'", alice);
        assertThat(stream("alice-inst", token, null)).as("deleted and created again, same owner").isEqualTo(401);
    }

    // row 9: an unauthenticated webhook had its QR rendered before it was refused
    @Test
    void nothingIsRenderedForAnUnauthenticatedWebhook() throws Exception {
        sut.db().insertInstance("row9", "token-row9", "connecting");
        QrContent content = sut.service().bean(QrContent.class);
        long rendered = content.rendered();
        String longCode = "2@" + "A".repeat(998);
        for (String token : new String[] {"ef".repeat(32), "not-a-token", Webhooks.jwt("wrong-secret-0123456789abcdef",
                Instant.now().plusSeconds(60).getEpochSecond(), "HS256")}) {
            String body = Webhooks.qrEvent("row9", "2@x", null).replace("\"2@x\"", "\"" + longCode + "\"")
                    .replaceAll("\"base64\":\"[^\"]*\"", "\"base64\":null");
            assertThat(webhooks.post("/webhooks/evolution?token=" + token, body, null).statusCode()).isEqualTo(401);
        }

        assertThat(content.rendered()).isEqualTo(rendered);
        assertThat(webhooks.post(Webhooks.qrEvent("row9", longCode, null)).statusCode()).isEqualTo(200);
        assertThat(content.rendered()).isEqualTo(rendered + 1);
    }

    // row 11: a stream that never reads was kept while the kernel took whatever was written
    @Test
    void aReaderThatFallsBehindIsDroppedWhateverItsBufferHolds() throws Exception {
        sut.connectingInstanceWithQr("row11");
        sut.service().refresh();
        QrStreams streams = sut.service().bean(QrStreams.class);
        try (Socket reader = new Socket()) {
            reader.setReceiveBufferSize(4096);
            reader.connect(new InetSocketAddress("127.0.0.1", sut.service().url("/").getPort()));
            reader.getOutputStream().write(("GET /instances/row11/qr/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + RunningService.viewerToken("row11") + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            await().until(() -> streams.clients() == 1);
            // it never reads: each new QR (a few KB) waits longer for its socket, until the reader is dropped
            int rotations = 0;
            while (streams.clients() == 1) {
                assertThat(rotations++).as("rotations before the silent reader was dropped").isLessThan(500);
                webhooks.post(Webhooks.qrEvent("row11", "2@row11-" + rotations + "-" + "Z".repeat(600), null));
            }
            assertThat(streams.clients()).isZero();
        }
    }

    // row 7: an out-of-range ttl_seconds was a 400 with an empty body (and, with header-named parameters, the
    // attacker's Set-Cookie); row 12: an oversized pairing-code body was read, and logged as an ERROR, before the
    // caller was known
    @Test
    void refusalsSayWhyAndComeBeforeTheBody() throws Exception {
        sut.connectingInstanceWithQr("row7");
        HttpResponse<String> ttl = sut.service().post("/instances/row7/viewer-token?ttl_seconds=5",
                RunningService.ADMIN_TOKEN);
        assertThat(ttl.statusCode()).isEqualTo(400);
        assertThat(Webhooks.json(ttl).get("message").asText()).contains("ttl_seconds");

        String big = "{\"number\":\"+5511987654321\",\"padding\":\"" + "p".repeat(2048) + "\"}";
        HttpResponse<String> anonymous = HTTP.send(HttpRequest.newBuilder(sut.service().url(
                "/instances/row7/qr/pairing-code")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(big)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).as("the caller first").isEqualTo(401);
        assertThat(Webhooks.json(anonymous).get("message").asText()).isNotBlank();
        HttpResponse<String> tooBig = HTTP.send(HttpRequest.newBuilder(sut.service().url(
                "/instances/row7/qr/pairing-code")).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + RunningService.viewerToken("row7"))
                .POST(HttpRequest.BodyPublishers.ofString(big)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(tooBig.statusCode()).as("then the body's size").isEqualTo(413);
        assertThat(Webhooks.json(tooBig).get("error").asText()).isEqualTo("body_too_large");
    }

    // a request smuggled behind one whose body is framed twice (Content-Length and Transfer-Encoding): a proxy that
    // frames it by the length forwards both as one request; here the chunks end early and the rest was a second request
    @Test
    void aBodyFramedByTransferEncodingEndsItsConnectionSoNothingCanBeSmuggledBehindIt() throws Exception {
        String smuggled = "GET /widget/whatsapp-qr.js HTTP/1.1\r\nHost: x\r\n\r\n";
        String body = "0\r\n\r\n" + smuggled;
        try (Socket socket = new Socket("127.0.0.1", sut.service().url("/").getPort())) {
            socket.setSoTimeout(20_000);
            socket.getOutputStream().write(("POST /instances/row13/qr/pairing-code HTTP/1.1\r\nHost: x\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            String answered;
            try {
                answered = new String(socket.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            } catch (java.net.SocketTimeoutException e) {
                throw new AssertionError("the connection was kept open after a chunked request", e);
            }
            assertThat(answered).startsWith("HTTP/1.1 401").containsIgnoringCase("connection: close")
                    .contains("\"error\":\"unauthorized\"");
            assertThat(answered.split("HTTP/1\\.1 ", -1)).as("one answer, then the connection closed: " + answered)
                    .hasSize(2);
        }
    }

    /** The status of a stream request with this token (and X-Forwarded-For, when given), read then closed. */
    private static int stream(String instance, String token, String forwardedFor) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(sut.service().url("/instances/" + instance
                + "/qr/stream")).timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + token);
        if (forwardedFor != null) {
            request.header("X-Forwarded-For", forwardedFor);
        }
        HttpResponse<InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
        response.body().close();
        return response.statusCode();
    }
}
