package io.qrrefresher.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;

/** A webhook receiver on loopback that records what it is posted; it can answer errors or go down and come back. */
public final class WebhookReceiver implements AutoCloseable {

    public record Delivery(String body, Map<String, List<String>> headers) {
        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .map(e -> e.getValue().get(0)).findFirst().orElse(null);
        }
    }

    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final int port;
    private volatile int status = 200;
    private volatile int refused;
    private HttpServer server;

    public WebhookReceiver() throws IOException {
        this.port = FreePorts.next();
        up();
    }

    public URI url() {
        return URI.create("http://127.0.0.1:" + port + "/hooks/qr");
    }

    public synchronized void up() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
        server.createContext("/", exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                int answer = status;
                if (answer >= 200 && answer < 300) {
                    deliveries.add(new Delivery(new String(body, StandardCharsets.UTF_8),
                            Map.copyOf(exchange.getRequestHeaders())));
                } else {
                    refused++;
                }
                exchange.sendResponseHeaders(answer, -1);
            }
        });
        server.start();
    }

    /** Stops listening: posts then fail with "connection refused". */
    public synchronized void down() {
        server.stop(0);
    }

    /** Answers this status (and records nothing unless it is 2xx). */
    public void answer(int status) {
        this.status = status;
    }

    public List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    public int refused() {
        return refused;
    }

    @Override
    public void close() {
        down();
    }
}
