package io.qrrefresher;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.qrrefresher.edge.EdgeHttpServer;
import io.qrrefresher.support.ServiceUnderTest;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Connections that send half a request and then nothing (row 3 of the edge issue: 20 000 of them took every descriptor
 * and stopped the API, the widget, the management health and genuine webhooks). One address gets at most
 * HTTP_MAX_CONNECTIONS_PER_ADDRESS; every connection past it is closed before anything is read; another address (here
 * Evolution's webhook) and the management port are served meanwhile. (Timeouts are long here, so that only the cap
 * acts; HostileClientsTest shows the header deadline and the idle timeout.)
 */
class ConnectionLimitsTest {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final int CAP = 40;

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create()
            .with("evolution.webhook-token", Webhooks.TOKEN)
            .with("http.header-timeout-ms", "600000")
            .with("http.idle-timeout-seconds", "600")
            .with("http.max-connections-per-address", String.valueOf(CAP));

    @Test
    void oneAddressCannotTakeTheConnectionsOthersNeed() throws Exception {
        sut.db().insertInstance("flooded-webhooks", "token-flooded", "connecting");
        EdgeHttpServer server = sut.service().context().getRegistry().lookupByNameAndType("edgeHttpServer",
                EdgeHttpServer.class);
        long refusedBefore = server.counts().refused();
        List<Socket> flood = new ArrayList<>();
        try {
            for (int i = 0; i < CAP * 5; i++) {
                Socket socket = new Socket();
                socket.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.2"), 0));
                socket.connect(new InetSocketAddress("127.0.0.1", sut.service().url("/").getPort()), 5_000);
                socket.getOutputStream().write("GET /refresh-runs HT".getBytes(StandardCharsets.US_ASCII));
                flood.add(socket);
            }
            // the first CAP are held (their headers may still come); every one after them was closed at once
            await().until(() -> server.counts().refused() - refusedBefore == CAP * 4L);

            HttpResponse<String> genuine = new Webhooks(sut.service()).post(Webhooks.qrEvent("flooded-webhooks",
                    "2@still-served", null));
            assertThat(genuine.statusCode()).as("a genuine webhook from another address").isEqualTo(200);
            HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(
                    sut.service().managementUrl("/observe/health/live")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).as("management health").isEqualTo(200);
            assertThat(server.counts().refused() - refusedBefore).as("nothing else was refused").isEqualTo(CAP * 4L);
        } finally {
            for (Socket socket : flood) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
        await().until(() -> server.counts().open() <= 2);
    }
}
