package io.qrrefresher.browser;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpServer;

/** A web site of another origin (another port): serves the pages a test puts on it. */
final class PageServer implements AutoCloseable {

    private final HttpServer server;
    private final Map<String, String> pages = new ConcurrentHashMap<>();
    private final List<String> reports = new CopyOnWriteArrayList<>();

    PageServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool());
        // GET /report?...: a page tells the test what it saw (browsers driven without WebDriver)
        server.createContext("/report", exchange -> {
            reports.add(java.net.URLDecoder.decode(String.valueOf(exchange.getRequestURI().getRawQuery()),
                    StandardCharsets.UTF_8));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        // GET /hold?until=TEXT: answers once a report contains TEXT (at most 30 s), holding the page's load event
        server.createContext("/hold", exchange -> {
            String until = exchange.getRequestURI().getQuery().replaceFirst("^until=", "");
            try {
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
                        .pollInterval(java.time.Duration.ofMillis(50))
                        .until(() -> reports.stream().anyMatch(report -> report.contains(until)));
            } catch (org.awaitility.core.ConditionTimeoutException e) {
                // the page loads all the same; the test's own assertions say what never came
            }
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.createContext("/", exchange -> {
            String page = pages.get(exchange.getRequestURI().getPath());
            byte[] body = (page == null ? "not found" : page).getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            exchange.sendResponseHeaders(page == null ? 404 : 200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
    }

    /** The origin pages are served from, as a browser sends it. */
    String origin() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Puts {@code html} at {@code path} and returns its URL. */
    String put(String path, String html) {
        pages.put(path, html);
        return origin() + path;
    }

    /** What pages reported, in order. */
    List<String> reports() {
        return reports;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
