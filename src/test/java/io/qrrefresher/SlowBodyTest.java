package io.qrrefresher;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

import io.qrrefresher.edge.EdgeHttpServer;
import io.qrrefresher.support.ServiceUnderTest;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client that sends its headers, then part of a body, and then nothing (or a byte now and then), with no credential:
 * it must not hold the connection. The idle timeout is long here, so only the body deadline (HTTP_HEADER_TIMEOUT_MS
 * after the headers) can close it.
 */
class SlowBodyTest {

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create()
            .with("evolution.webhook-token", Webhooks.TOKEN)
            .with("http.header-timeout-ms", "1000")
            .with("http.idle-timeout-seconds", "600");

    @ParameterizedTest
    @ValueSource(strings = {"/refresh-qr-codes", "/webhooks/evolution", "/webhooks/evolution?token=" + "ab" + "ab"})
    void anUnfinishedBodyIsCutAtTheDeadline(String path) throws Exception {
        EdgeHttpServer server = sut.service().context().getRegistry().lookupByNameAndType("edgeHttpServer",
                EdgeHttpServer.class);
        long before = server.counts().bodyTimeouts();
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", sut.service().url("/").getPort()), 5_000);
            socket.setSoTimeout(60_000);
            socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                    + "\r\nContent-Length: 100000\r\n\r\n{\"event\":").getBytes(StandardCharsets.US_ASCII));

            assertThat(io.qrrefresher.support.RawSockets.closedByServer(socket)).as("closed by the server, not by the read timeout").isTrue();
        }
        assertThat(server.counts().bodyTimeouts()).isEqualTo(before + 1);
    }

}
