package io.qrrefresher.support;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** A Server-Sent Events client: collects the events of one stream with the time each arrived. */
public final class SseClient implements AutoCloseable {

    public record Event(String name, JsonNode data, long receivedNanos) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final BlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private final List<String> comments = new CopyOnWriteArrayList<>();
    private final HttpResponse<Stream<String>> response;
    private final CompletableFuture<Void> reader;

    private SseClient(HttpResponse<Stream<String>> response) {
        this.response = response;
        this.reader = CompletableFuture.runAsync(this::read);
    }

    /** Opens the stream; {@code authorization} may be null (then the token can be in the URL). */
    public static SseClient open(URI url, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(url).GET().header("Accept", "text/event-stream");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return new SseClient(HTTP.send(request.build(), HttpResponse.BodyHandlers.ofLines()));
    }

    public int status() {
        return response.statusCode();
    }

    public String contentType() {
        return response.headers().firstValue("Content-Type").orElse("");
    }

    /**
     * How long tests wait for an event that must come: generous, since a 2-core machine under load (ReplicasTest runs
     * beside the others) can take seconds; a passing test never waits for it.
     */
    public static final Duration PATIENCE = Duration.ofSeconds(30);

    /** The next event, or null when none arrives in time. */
    public Event next(Duration within) throws InterruptedException {
        return events.poll(within.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Whether the server ended the stream within the given time. */
    public boolean ended(Duration within) {
        try {
            reader.get(within.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    public List<String> comments() {
        return List.copyOf(comments);
    }

    private void read() {
        String name = "message";
        StringBuilder data = new StringBuilder();
        try (Stream<String> lines = response.body()) {
            for (String line : (Iterable<String>) lines::iterator) {
                if (line.isEmpty()) {
                    if (!data.isEmpty()) {
                        events.add(new Event(name, JSON.readTree(data.toString()), System.nanoTime()));
                    }
                    name = "message";
                    data.setLength(0);
                } else if (line.startsWith(":")) {
                    comments.add(line);
                } else if (line.startsWith("event: ")) {
                    name = line.substring(7);
                } else if (line.startsWith("data: ")) {
                    data.append(line.substring(6));
                }
            }
        } catch (Exception e) {
            // the stream ended
        }
    }

    @Override
    public void close() {
        reader.cancel(true);
        response.body().close();
    }
}
