package io.qrrefresher;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import io.qrrefresher.access.ViewerTokens;
import io.qrrefresher.demo.EvolutionSimulator.Reply;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.QrImages;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.stream.QrStreams;
import io.qrrefresher.support.LogCapture;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ServiceUnderTest;
import io.qrrefresher.support.SseClient;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The public edge under attack: what arrives from outside is checked, and every stream slot is released. */
@ResourceLock("second-service") // reads the JVM's log: no other service may run meanwhile
@Order(Integer.MAX_VALUE) // last in order: by then no other service runs
class PublicEdgeTest {

    static final String JWT_SECRET = "app-jwt-secret-0123456789abcdef0123456789";
    static final String GOOD_QR = QrImages.dataUrl("2@good");
    static final java.net.http.HttpClient METRICS_CLIENT = java.net.http.HttpClient.newHttpClient();

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create()
            .with("evolution.webhook-token", Webhooks.TOKEN)
            .with("qr.stream.max-pending", "5000")
            // 5 000 clients from one address (loopback) hang up during their authorisation: above the default caps
            .with("http.max-connections", "10000")
            .with("http.max-connections-per-address", "10000")
            .with("qr.stream.max-clients-per-instance", "3")
            .with("qr.stream.auth-failures-per-minute", "20")
            .with("qr.stream.heartbeat-ms", "300")
            .with("viewer.jwt-secret", JWT_SECRET);
    Webhooks webhooks;

    @BeforeEach
    void webhooks() {
        webhooks = new Webhooks(sut.service());
    }

    // ------------------------------------------------------------------ 1. stream slots

    @Test
    void clientsThatHangUpDuringTheirAuthorisationLeaveNoSlotBehind() throws Exception {
        sut.db().insertInstance("early", "token-early", "connecting");
        QrStreams streams = sut.service().bean(io.qrrefresher.stream.QrStreams.class);
        int port = sut.service().url("/").getPort();
        int clients = 1000;
        String request = "GET /instances/early/qr/stream HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                + RunningService.viewerToken("early") + "\r\n\r\n";
        List<Socket> sockets = new ArrayList<>();
        // the authorisation query waits behind a lock, so every client hangs up while it is under way
        try (Connection locker = sut.service().dataSource().getConnection()) {
            locker.setAutoCommit(false);
            try (Statement statement = locker.createStatement()) {
                statement.execute("LOCK TABLE evolution_instances IN ACCESS EXCLUSIVE MODE");
            }
            try {
                for (int i = 0; i < clients; i++) {
                    Socket socket = new Socket("127.0.0.1", port);
                    socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                    sockets.add(socket);
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> streams.pending() == clients);
                java.util.Set<Integer> clientPorts = new java.util.HashSet<>();
                for (Socket socket : sockets) {
                    clientPorts.add(socket.getLocalPort());
                    socket.close();
                }
                // the server has seen every hang-up: none of its sockets to these clients is open or half-closed
                await().atMost(Duration.ofSeconds(30)).until(() -> serverConnections(port, clientPorts) == 0);
            } finally {
                locker.rollback();
                for (Socket socket : sockets) {
                    socket.close();
                }
            }
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> streams.pending() == 0);
        assertThat(streams.clients()).isZero();
        assertThat(streams.subscribedInstances()).isEmpty();
        assertThat(metric("qr_refresher_stream_clients ")).isZero();
        try (SseClient viewer = stream("early", RunningService.viewerToken("early"))) {
            assertThat(viewer.status()).isEqualTo(200);
        }
    }

    @Test
    void eachInstanceHasItsOwnCapOfClients() throws Exception {
        sut.db().insertInstance("capped", "token-capped", "connecting");
        String token = RunningService.viewerToken("capped");
        List<SseClient> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                open.add(stream("capped", token));
                assertThat(open.get(i).status()).isEqualTo(200);
            }
            try (SseClient fourth = stream("capped", token)) {
                assertThat(fourth.status()).isEqualTo(503);
            }
            sut.db().insertInstance("uncapped", "token-uncapped", "connecting");
            try (SseClient other = stream("uncapped", RunningService.viewerToken("uncapped"))) {
                assertThat(other.status()).isEqualTo(200);
            }
        } finally {
            open.forEach(SseClient::close);
        }
        await().until(() -> sut.service().bean(io.qrrefresher.stream.QrStreams.class).clients() == 0);
    }

    @Test
    void aClientThatDoesNotReadIsDroppedAndNeverHoldsBackTheOthers() throws Exception {
        sut.db().insertInstance("slow", "token-slow", "connecting");
        int port = sut.service().url("/").getPort();
        double droppedBefore = metric("qr_refresher_stream_ended_total{reason=\"slow_client\"");
        try (Socket stalled = new Socket();
             SseClient reader = stream("slow", RunningService.viewerToken("slow"))) {
            stalled.setReceiveBufferSize(4096);
            stalled.connect(new InetSocketAddress("127.0.0.1", port));
            stalled.getOutputStream().write(("GET /instances/slow/qr/stream HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer " + RunningService.viewerToken("slow") + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(reader.next(SseClient.PATIENCE)).isNotNull();
            await().until(() -> sut.service().bean(io.qrrefresher.stream.QrStreams.class).clients() == 2);
            // rotations until the socket buffers of the stalled client are full and its own bound is reached
            int rotation = 0;
            while (sut.service().bean(io.qrrefresher.stream.QrStreams.class).clients() == 2) {
                assertThat(rotation).as("rotations before the stalled client was dropped").isLessThan(2000);
                String code = "2@rotation-" + rotation++;
                webhooks.post(Webhooks.qrEvent("slow", code, null).replace(QrImages.dataUrl(code),
                        io.qrrefresher.support.TestImages.pngDataUrl(20_000, rotation)));
            }
            assertThat(sut.service().bean(io.qrrefresher.stream.QrStreams.class).clients()).isEqualTo(1);
            assertThat(metric("qr_refresher_stream_ended_total{reason=\"slow_client\"")).isGreaterThan(droppedBefore);
            // the reading client got the latest rotation, whatever happened to the other
            String latest = "2@rotation-" + rotation;
            webhooks.post(Webhooks.qrEvent("slow", latest, null));
            SseClient.Event event;
            do {
                event = reader.next(SseClient.PATIENCE);
            } while (event != null && !event.data().path("qr_code").asText().equals(QrImages.dataUrl(latest)));
            assertThat(event).as("the reading client is served to the end").isNotNull();
        }
        await().until(() -> sut.service().bean(io.qrrefresher.stream.QrStreams.class).clients() == 0);
    }

    // ------------------------------------------------------------------ 3. what may be stored as a QR

    private static List<String> notQrImages;

    /**
     * Images Evolution (or someone holding the global token) might send beside a code: none of them is stored. Made
     * once for both tests that use them (the huge picture takes a while to encode).
     */
    static synchronized Stream<String> notQrImages() throws Exception {
        if (notQrImages == null) {
            notQrImages = makeNotQrImages();
        }
        return notQrImages.stream();
    }

    private static List<String> makeNotQrImages() throws Exception {
        String png = QrImages.dataUrl("2@big").substring("data:image/png;base64,".length());
        StringBuilder huge = new StringBuilder("data:image/png;base64,").append(png);
        while (huge.length() < 900_000) {
            huge.append("AAAA");
        }
        return List.of(
                "javascript:alert(document.cookie)",
                "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
                "data:image/svg+xml;base64," + Base64.getEncoder().encodeToString(
                        "<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".getBytes(StandardCharsets.UTF_8)),
                "https://tracker.example.com/pixel.png",
                "data:image/png;base64,</script><script>alert(1)</script>",
                "data:image/png;base64,SGVsbG8sIHdvcmxkIQ==",
                huge.toString(),
                // a PNG that is not the QR: a red pixel, a header with nothing after it, a huge picture, a header
                // claiming 30000 x 30000 pixels
                pngDataUrl(1, 1, 0xFF0000, java.awt.image.BufferedImage.TYPE_INT_RGB),
                "data:image/png;base64," + Base64.getEncoder().encodeToString(pngHeader(64, 64)),
                // one bit per pixel: 16 million pixels all the same, encoded in a fraction of the time of RGB
                pngDataUrl(4000, 4000, 0x00FF00, java.awt.image.BufferedImage.TYPE_BYTE_BINARY),
                "data:image/png;base64," + Base64.getEncoder().encodeToString(pngHeader(30_000, 30_000)));
    }

    static String pngDataUrl(int width, int height, int rgb, int imageType) throws java.io.IOException {
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(width, height, imageType);
        java.awt.Graphics2D graphics = image.createGraphics();
        graphics.setColor(new java.awt.Color(rgb));
        graphics.fillRect(0, 0, width, height);
        graphics.dispose();
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        javax.imageio.ImageIO.write(image, "png", out);
        return "data:image/png;base64," + Base64.getEncoder().encodeToString(out.toByteArray());
    }

    /** The PNG signature and an IHDR chunk claiming {@code width} x {@code height}, and nothing else. */
    static byte[] pngHeader(int width, int height) {
        java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate(8 + 25);
        bytes.put(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        bytes.putInt(13).put("IHDR".getBytes(StandardCharsets.US_ASCII)).putInt(width).putInt(height)
                .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0).putInt(0);
        return bytes.array();
    }

    @ParameterizedTest
    @MethodSource("notQrImages")
    void aWebhookStoresTheQrOfItsCodeWhateverImageCameWithIt(String image) throws Exception {
        sut.db().insertInstance("victim", "token-victim", "connecting");
        String body = Webhooks.qrEvent("victim", "2@hostile", null).replace(QrImages.dataUrl("2@hostile"),
                image.replace("\"", "\\\""));
        assertThat(body).contains(image.substring(0, Math.min(40, image.length())).replace("\"", "\\\""));

        HttpResponse<String> response = webhooks.post(body);

        assertThat(response.statusCode()).isEqualTo(200);
        String stored = (String) sut.db().instance("victim").get("qr_code");
        assertThat(stored).isEqualTo(QrImages.dataUrl("2@hostile")).isNotEqualTo(image);
        assertThat(io.qrrefresher.evolution.QrImagesTest.decode(stored)).isEqualTo("2@hostile");
    }

    @ParameterizedTest
    @MethodSource("notQrImages")
    void aPolledReplyStoresTheQrOfItsCodeWhateverImageCameWithIt(String image) throws Exception {
        sut.connectingInstanceWithQr("polled");
        sut.service().refresh();
        sut.evolution().fault("polled", EvolutionCall.CONNECT, Reply.json(200, java.util.Map.of(
                "pairingCode", "", "code", "2@next-one", "base64", image, "count", 2)));

        RefreshRun run = sut.service().refresh();

        assertThat(run.getFailed()).isZero();
        String stored = (String) sut.db().instance("polled").get("qr_code");
        assertThat(stored).isEqualTo(QrImages.dataUrl("2@next-one"));
        assertThat(io.qrrefresher.evolution.QrImagesTest.decode(stored)).isEqualTo("2@next-one");
    }

    @Test
    void aPairingCodeWithMarkupOrOfAbsurdLengthIsRefusedOnBothPaths() throws Exception {
        sut.db().insertInstance("codes", "token-codes", "connecting");
        for (String code : new String[] {"2@<script>alert(1)</script>", "2@" + "A".repeat(3000)}) {
            String body = Webhooks.qrEvent("codes", "2@placeholder", null)
                    .replace("\"2@placeholder\"", "\"" + code + "\"");
            assertThat(webhooks.post(body).statusCode()).as(code.substring(0, 20)).isEqualTo(422);
        }
        assertThat(sut.db().instance("codes").get("qr_code")).isNull();
    }

    // ------------------------------------------------------------------ 4. future-dated webhooks

    @Test
    void aFutureDatedWebhookDoesNotBlockTheGenuineOnesAfterIt() throws Exception {
        sut.db().insertInstance("dated", "token-dated", "connecting");
        Instant evolutionNow = Instant.now().minus(Duration.ofHours(3));
        assertThat(status(webhooks.post(Webhooks.qrEvent("dated", "2@first", evolutionNow)))).isEqualTo("stored");
        for (Instant forged : new Instant[] {Instant.parse("2099-01-01T00:00:00Z"), evolutionNow.plusSeconds(3600)}) {
            webhooks.post(Webhooks.qrEvent("dated", "2@forged-" + forged.getEpochSecond(), forged));
            String genuine = "2@genuine-after-" + forged.getEpochSecond();
            HttpResponse<String> response = webhooks.post(Webhooks.qrEvent("dated", genuine,
                    Instant.now().minus(Duration.ofHours(3))));
            assertThat(status(response)).as("after " + forged).isEqualTo("stored");
            assertThat(sut.db().instance("dated").get("qr_code")).isEqualTo(QrImages.dataUrl(genuine));
        }
    }

    @Test
    void aStoredOrderingTimeInTheFutureIsRepairedByTheNextWebhookOrPoll() throws Exception {
        sut.connectingInstanceWithQr("repaired");
        sut.service().refresh();
        sut.db().update("UPDATE qr_refresher.instance_state SET last_qr_event_at = '2099-01-01'");
        assertThat(status(webhooks.post(Webhooks.qrEvent("repaired", "2@pushed", null)))).isEqualTo("stored");

        sut.db().update("UPDATE qr_refresher.instance_state SET last_qr_event_at = '2099-01-01'");
        sut.evolution().rotate("repaired");
        // the webhook just now covers it (coverage): as if none had arrived lately, so that the next run polls it
        sut.db().update("UPDATE qr_refresher.instance_state SET last_webhook_at = NULL");
        sut.service().refresh();
        assertThat(sut.db().state("repaired").get("last_qr_event_at")).isNull();
    }

    // ------------------------------------------------------------------ 5. poison webhooks

    @Test
    void poisonWebhooksGetA4xxAndOneLineWithoutAStackTrace() throws Exception {
        sut.db().insertInstance("poisoned", "token-poisoned", "connecting");
        try (LogCapture logs = LogCapture.open()) {
            String longCode = Webhooks.qrEvent("poisoned", "2@x", null).replace(
                    "\"2@x\"", "\"" + "Q".repeat(3000) + "\"").replaceAll("\"base64\":\"[^\"]*\"", "\"base64\":null");
            HttpResponse<String> tooLong = webhooks.post(longCode);
            String nul = Webhooks.qrEvent("poisoned", "2@y", null).replace("\"instance\":\"poisoned\"",
                    "\"instance\":\"poi\\u0000soned\"");
            HttpResponse<String> withNul = webhooks.post(nul);

            // a reason echoing hostile text cannot forge a log line
            HttpResponse<String> forged = webhooks.post("{\"event\":\"connection.update\",\"instance\":\"poisoned\","
                    + "\"data\":{\"state\":\"x\\nFORGED ERROR admin logged in\"}}");

            assertThat(tooLong.statusCode()).isEqualTo(422);
            assertThat(withNul.statusCode()).isEqualTo(400);
            assertThat(forged.statusCode()).isEqualTo(400);
            await().until(() -> logs.text().contains("control characters") && logs.text().contains("FORGED"));
            assertThat(logs.text()).contains("refused (422)").doesNotContain("\tat io.qrrefresher");
            assertThat(logs.text().lines()).noneMatch(line -> line.startsWith("FORGED"));
        }
    }

    /**
     * A known caller whose connection drops in the middle of its request body (a phone losing its network): nothing to
     * answer and nobody to answer, and not an ERROR with a stack trace in the log, which any holder of a link could
     * otherwise write at will. The service still answers the next request.
     */
    @Test
    void aCallerWhoHangsUpInTheMiddleOfItsBodyLeavesNoErrorBehind() throws Exception {
        sut.db().insertInstance("hangs-up", "token-hangs-up", "connecting");
        int port = sut.service().url("/").getPort();
        try (LogCapture logs = LogCapture.open()) {
            for (int i = 0; i < 5; i++) {
                try (Socket socket = new Socket()) {
                    socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
                    socket.setSoTimeout(10_000);
                    socket.getOutputStream().write(("POST /instances/hangs-up/link HTTP/1.1\r\nHost: localhost\r\n"
                            + "Authorization: Bearer " + RunningService.ADMIN_TOKEN + "\r\nContent-Type: application/json"
                            + "\r\nContent-Length: 200000\r\n\r\n{\"ttl_seconds\": " + "1".repeat(900))
                            .getBytes(StandardCharsets.US_ASCII));
                    socket.shutdownOutput();
                    // the server has seen the end of the connection once it closes its side
                    assertThat(io.qrrefresher.support.RawSockets.closedByServer(socket)).isTrue();
                }
            }
            HttpResponse<String> next = sut.service().post("/instances/hangs-up/link", RunningService.ADMIN_TOKEN);
            assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
            assertThat(logs.text()).doesNotContain("Unhandled exception", "HttpClosedException");
            assertThat(logs.text().lines()).noneMatch(line -> line.startsWith("ERROR"));
        }
    }

    // ------------------------------------------------------------------ 6. stream access

    @Test
    void viewerTokensAreMintedByTheAdminAndBoundToOneInstanceAndTheirLifetime() throws Exception {
        sut.db().insertInstance("minted", "token-minted", "connecting");
        sut.db().insertInstance("elsewhere", "token-elsewhere", "connecting");
        HttpResponse<String> minted = sut.service().post("/instances/minted/viewer-token?ttl_seconds=60",
                RunningService.ADMIN_TOKEN);
        assertThat(minted.statusCode()).isEqualTo(200);
        JsonNode answer = Webhooks.json(minted);
        String token = answer.get("token").asText();
        assertThat(answer.get("stream_path").asText()).isEqualTo("/instances/minted/qr/stream?token=" + token);
        assertThat(sut.service().post("/instances/minted/viewer-token", "wrong").statusCode()).isEqualTo(401);
        for (String ttl : new String[] {"abc", "5", "86401", "-60"}) {
            assertThat(sut.service().post("/instances/minted/viewer-token?ttl_seconds=" + ttl,
                    RunningService.ADMIN_TOKEN).statusCode()).as("ttl_seconds=" + ttl).isEqualTo(400);
        }
        assertThat(sut.service().post("/instances/nobody/viewer-token", RunningService.ADMIN_TOKEN).statusCode())
                .isEqualTo(404);

        ViewerTokens sameSecret = new ViewerTokens(Optional.of(RunningService.VIEWER_SECRET), Duration.ofMinutes(5));
        ViewerTokens.Binding row = new ViewerTokens.Binding(String.valueOf(sut.db().instance("minted").get("id")),
                null);
        String expired = sameSecret.mint("minted", row.rowId(), row.owner(), Instant.now().minusSeconds(120));
        ViewerTokens otherSecret = new ViewerTokens(Optional.of("another-secret-0123456789abcdef012345"),
                Duration.ofMinutes(5));
        try (SseClient viewer = SseClient.open(sut.service().url(answer.get("stream_path").asText()), null);
             SseClient forOther = stream("elsewhere", token);
             SseClient old = stream("minted", expired);
             SseClient forged = stream("minted", otherSecret.mint("minted", row.rowId(), row.owner(),
                     Instant.now().plusSeconds(60)))) {
            assertThat(viewer.status()).isEqualTo(200);
            assertThat(forOther.status()).isEqualTo(401);
            assertThat(old.status()).isEqualTo(401);
            assertThat(forged.status()).isEqualTo(401);
        }
    }

    @Test
    void theApplicationsUserJwtOpensOnlyTheStreamsOfThatUsersRows() throws Exception {
        UUID owner = UUID.randomUUID();
        sut.db().insertInstance("owned", "token-owned", "connecting");
        sut.db().update("UPDATE evolution_instances SET user_id = ? WHERE instance_name = 'owned'", owner);
        long exp = Instant.now().plusSeconds(600).getEpochSecond();
        try (SseClient mine = stream("owned", userJwt(owner.toString(), exp));
             SseClient notMine = stream("owned", userJwt(UUID.randomUUID().toString(), exp));
             SseClient expired = stream("owned", userJwt(owner.toString(), exp - 3600))) {
            assertThat(mine.status()).isEqualTo(200);
            assertThat(notMine.status()).isEqualTo(401);
            assertThat(expired.status()).isEqualTo(401);
        }
    }

    @Test
    void aStreamEndsAtOnceWhenTheRowsTokenOrOwnerChanges() throws Exception {
        sut.db().insertInstance("rotated", "token-rotated", "connecting");
        try (SseClient viewer = stream("rotated", RunningService.viewerToken("rotated"))) {
            assertThat(viewer.next(SseClient.PATIENCE)).isNotNull();
            sut.db().update("UPDATE evolution_instances SET instance_token = 'new-token' WHERE instance_name = 'rotated'");
            assertThat(viewer.ended(SseClient.PATIENCE)).isTrue();
        }
        await().until(() -> sut.service().bean(io.qrrefresher.stream.QrStreams.class).clients() == 0);
    }

    @Test
    void aFloodOfWrongTokensIsThrottledPerAddressWithoutTouchingTheDatabase() throws Exception {
        sut.db().insertInstance("flooded", "token-flooded", "connecting");
        int port = sut.service().url("/").getPort();
        List<Integer> statuses = new ArrayList<>();
        String retryAfter = null;
        for (int i = 0; i < 25; i++) {
            String answer = rawGet("127.0.0.2", port, "/instances/flooded/qr/stream?token=guess-" + i);
            statuses.add(Integer.parseInt(answer.substring(9, 12)));
            if (answer.startsWith("HTTP/1.1 429")) {
                retryAfter = answer.lines().filter(line -> line.toLowerCase().startsWith("retry-after:")).findFirst()
                        .orElse(null);
            }
        }
        assertThat(statuses.subList(0, 20)).containsOnly(401);
        assertThat(statuses.subList(20, 25)).containsOnly(429);
        assertThat(retryAfter).isNotNull();
        try (SseClient elsewhere = stream("flooded", RunningService.viewerToken("flooded"))) {
            assertThat(elsewhere.status()).as("other addresses are not throttled").isEqualTo(200);
        }
    }

    @Test
    void aPerInstanceWebhookTokenOnlyAuthenticatesEventsOfItsInstance() throws Exception {
        sut.db().insertInstance("tenant-a", "token-a", "connecting");
        sut.db().insertInstance("tenant-b", "token-b", "connecting");
        HttpResponse<String> answer = sut.service().get("/instances/tenant-a/webhook-token", RunningService.ADMIN_TOKEN);
        assertThat(answer.statusCode()).isEqualTo(200);
        String path = Webhooks.json(answer).get("webhook_path").asText();

        assertThat(webhooks.post(path, Webhooks.qrEvent("tenant-a", "2@own", null), null).statusCode())
                .isEqualTo(200);
        assertThat(webhooks.post(path, Webhooks.qrEvent("tenant-b", "2@forged", null), null).statusCode())
                .isEqualTo(401);
        // the same token as the instance webhook's jwt_key: Evolution signs with it, valid for tenant-a only
        String key = Webhooks.json(answer).get("token").asText();
        String jwt = "Bearer " + Webhooks.jwt(key, Instant.now().plusSeconds(600).getEpochSecond(), "HS256");
        assertThat(webhooks.post("/webhooks/evolution", Webhooks.qrEvent("tenant-a", "2@signed", null), jwt)
                .statusCode()).isEqualTo(200);
        assertThat(webhooks.post("/webhooks/evolution", Webhooks.qrEvent("tenant-b", "2@signed", null), jwt)
                .statusCode()).isEqualTo(401);
        webhooks.post(Webhooks.qrEvent("tenant-a", "2@own", null));
        assertThat(sut.db().instance("tenant-a").get("qr_code")).isEqualTo(QrImages.dataUrl("2@own"));
        assertThat(sut.db().instance("tenant-b").get("qr_code")).isNull();
    }

    // ------------------------------------------------------------------ helpers

    private static String status(HttpResponse<String> response) throws Exception {
        return Webhooks.json(response).get("status").asText();
    }

    private SseClient stream(String instance, String token) throws Exception {
        return SseClient.open(sut.service().url("/instances/" + instance + "/qr/stream"), "Bearer " + token);
    }

    private static String userJwt(String subject, long exp) {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        String header = encoder.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String claims = encoder.encodeToString(("{\"sub\":\"" + subject + "\",\"role\":\"authenticated\",\"exp\":"
                + exp + "}").getBytes(StandardCharsets.UTF_8));
        return header + "." + claims + "." + io.qrrefresher.access.Secrets.hmacBase64Url(JWT_SECRET,
                header + "." + claims);
    }

    /** The sum of the scraped samples whose line starts with {@code series} (a name, with or without labels). */
    private double metric(String series) throws Exception {
        String scrape = METRICS_CLIENT.send(java.net.http.HttpRequest.newBuilder(
                sut.service().managementUrl("/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString()).body();
        return scrape.lines().filter(line -> line.startsWith(series))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))).sum();
    }

    /** A request from the given local address, answered with the status line and headers. */
    private static String rawGet(String localAddress, int port, String path) throws Exception {
        try (Socket socket = new Socket()) {
            socket.bind(new InetSocketAddress(InetAddress.getByName(localAddress), 0));
            socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    /**
     * Server-side TCP sockets on {@code port} to the given client ports that are established or half-closed
     * (CLOSE_WAIT), from /proc.
     */
    private static long serverConnections(int port, java.util.Set<Integer> clientPorts) throws Exception {
        String local = String.format(":%04X ", port);
        long count = 0;
        for (String table : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            Path file = Path.of(table);
            if (!Files.exists(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file)) {
                String[] fields = line.trim().split("\\s+");
                if (fields.length > 3 && (fields[1] + " ").endsWith(local)
                        && clientPorts.contains(Integer.parseInt(fields[2].substring(fields[2].indexOf(':') + 1), 16))
                        && (fields[3].equals("01") || fields[3].equals("08"))) {
                    count++;
                }
            }
        }
        return count;
    }
}
