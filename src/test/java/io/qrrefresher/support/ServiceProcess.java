package io.qrrefresher.support;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import io.qrrefresher.QrRefresherApplication;

import static org.awaitility.Awaitility.await;

/**
 * The service in a JVM of its own, started from the test classpath with its real {@code main} and configured only by
 * environment variables, as in a container. Unlike {@link RunningService} it can be killed without warning (a replica
 * that dies) and its memory is its own (the benchmark's heap and RSS figures).
 */
public final class ServiceProcess implements AutoCloseable {

    public static final String ADMIN_TOKEN = "process-admin-token-5d1e";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Map<String, String> environment = new LinkedHashMap<>();
    private final List<String> jvmOptions = new ArrayList<>();
    private final Path directory;
    private int httpPort = FreePorts.next();
    private int managementPort = FreePorts.next();
    private Process process;

    private ServiceProcess(Path directory) {
        this.directory = directory;
        environment.put("HTTP_PORT", String.valueOf(httpPort));
        environment.put("MANAGEMENT_PORT", String.valueOf(managementPort));
        environment.put("ADMIN_TOKEN", ADMIN_TOKEN);
        environment.put("QR_REFRESH_CRON", RunningService.NEVER);
        environment.put("QR_FAILURE_CHECK_CRON", RunningService.NEVER);
    }

    /** A service against the given Evolution API and database; its console goes to {@code directory/console.log}. */
    public static ServiceProcess against(URI evolution, String evolutionKey, String databaseUrl, Path directory) {
        return new ServiceProcess(directory)
                .env("DATABASE_URL", databaseUrl)
                .env("DATABASE_USER", "postgres")
                .env("EVOLUTION_API_BASE_URL", evolution.toString())
                .env("EVOLUTION_API_KEY", evolutionKey);
    }

    public ServiceProcess env(String name, String value) {
        environment.put(name, value);
        return this;
    }

    /** Leaves a variable unset that {@link #against} set. */
    public ServiceProcess unset(String name) {
        environment.remove(name);
        return this;
    }

    public ServiceProcess jvmOption(String option) {
        jvmOptions.add(option);
        return this;
    }

    /**
     * The C1 compiler only: a test's service lives for a minute or two, where C2's compile work costs the other
     * tracks of a 2-core machine more CPU than its faster code saves. Not for benchmarks (their figures are the JIT
     * of production).
     */
    public ServiceProcess quickJit() {
        return jvmOption("-XX:TieredStopAtLevel=1");
    }

    /**
     * Starts the JVM and waits until the service reports ready. The ports were free when chosen, but another process
     * (a test running beside this one) may take one before the JVM binds it: the service then exits saying so, and
     * it is started again on other ports (at most three times).
     */
    public ServiceProcess start() throws IOException {
        for (int attempt = 1; ; attempt++) {
            launch();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                    .until(() -> !process.isAlive() || isReady());
            if (process.isAlive() && isReady()) {
                return this;
            }
            String console = Files.readString(directory.resolve("console.log"), StandardCharsets.UTF_8);
            if (!process.isAlive() && console.contains("cannot be opened") && attempt < 3) {
                close();
                httpPort = FreePorts.next();
                managementPort = FreePorts.next();
                environment.put("HTTP_PORT", String.valueOf(httpPort));
                environment.put("MANAGEMENT_PORT", String.valueOf(managementPort));
                continue;
            }
            String health = readiness();
            String threads = process.isAlive() ? threadDump(process.pid()) : "";
            close();
            throw new IllegalStateException("The service process did not become ready:\n" + tail(console)
                    + "\nreadiness: " + health + "\n" + threads);
        }
    }

    private void launch() throws IOException {
        Files.createDirectories(directory);
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(testClassPath());
        command.add(QrRefresherApplication.class.getName());
        ProcessBuilder builder = new ProcessBuilder(command).directory(directory.toFile())
                .redirectErrorStream(true).redirectOutput(directory.resolve("console.log").toFile());
        // only what this object sets configures the child, not the shell that runs the tests
        builder.environment().keySet().removeIf(key -> key.matches(
                "DATABASE_.*|EVOLUTION_.*|QR_.*|ALERT_.*|ADMIN_TOKEN|JOLOKIA_.*|HTTP_.*|MANAGEMENT_.*"
                        + "|TRUSTED_PROXIES|VIEWER_.*|CORS_.*|LOG_.*"));
        builder.environment().putAll(environment);
        process = builder.start();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** Dies at once, as with {@code kill -9}: no shutdown hook, no cleanup. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    public Path directory() {
        return directory;
    }

    /** A URL of the management server (health, metrics). */
    public URI managementUrl(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + httpPort + path);
    }

    public HttpResponse<String> send(String method, String path, String json) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(url(path)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + ADMIN_TOKEN)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            request.header("Content-Type", "application/json");
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The Prometheus scrape of the management server. */
    public String metrics() throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + managementPort + "/observe/metrics")).timeout(Duration.ofSeconds(10))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Where the service's threads are (the main thread above all), for a failure message. */
    private static String threadDump(long pid) {
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    String.valueOf(pid), "Thread.print").redirectErrorStream(true).start();
            String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int main = dump.indexOf("\"main\"");
            return "main thread: " + (main < 0 ? "gone" : dump.substring(main, Math.min(dump.length(), main + 4000)));
        } catch (IOException e) {
            return "no thread dump: " + e;
        }
    }

    /** The readiness answer with every check's state and details, for a failure message. */
    private String readiness() {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort
                    + "/observe/health/ready?exposureLevel=full&data=true")).timeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> answer = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            return answer.statusCode() + " " + answer.body();
        } catch (IOException e) {
            return "no answer: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private boolean isReady() {
        try {
            HttpRequest request = HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + managementPort + "/observe/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build();
            return HTTP.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops the service as {@code docker stop} does (SIGTERM, graceful), killing it if it hangs. */
    @Override
    public void close() {
        if (process == null) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The test classpath: surefire's own property when it runs the tests through a manifest-only jar. */
    public static String testClassPath() {
        return System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    }

    /**
     * The last {@code count} lines the service logged at INFO or above (stack frames, DEBUG and the start's lists of
     * endpoints and routes left out), each cut to 200 characters: what a failing test adds to its message, so that a
     * CI summary shows what the service did.
     */
    public List<String> recentLog(int count) {
        try {
            List<String> lines = Files.readAllLines(directory.resolve("console.log"), StandardCharsets.UTF_8).stream()
                    .filter(line -> line.matches("^\\d\\d:\\d\\d:\\d\\d\\.\\d+ (INFO|WARN|ERROR) .*"))
                    // the start's lists of endpoints and routes say nothing about a failure
                    .filter(line -> !line.contains("MainHttpServerUtil -")
                            && !line.matches(".*AbstractCamelContext - +(Started|Stopped) .*"))
                    .map(line -> line.length() <= 200 ? line : line.substring(0, 200) + "...")
                    .toList();
            return lines.subList(Math.max(0, lines.size() - count), lines.size());
        } catch (IOException e) {
            return List.of("(no console log: " + e.getMessage() + ")");
        }
    }

    private static String tail(String text) {
        return text.length() <= 4000 ? text : text.substring(text.length() - 4000);
    }

}
