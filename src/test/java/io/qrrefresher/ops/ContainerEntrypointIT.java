package io.qrrefresher.ops;

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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.FreePorts;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.SharedPostgres;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The image's startup path outside Docker: the jar {@code mvn package} built, started by the Dockerfile's own
 * ENTRYPOINT with the Dockerfile's ENV and the variables docker-compose.yml gives, in a working directory without
 * configuration files (as /app in the image), health-checked as its HEALTHCHECK does. Logs as JSON lines.
 */
// its two JVMs start side by side: each waits mostly for its own start
@Execution(ExecutionMode.CONCURRENT)
class ContainerEntrypointIT {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String ADMIN_TOKEN = "container-admin-token-2f9c";
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path app;

    /**
     * The namespace compose's {@code read_only: true} with {@code tmpfs: /tmp} makes: {@code /} read-only, a tmpfs on
     * the one writable directory ({@code $QR_WRITABLE}, the JVM's java.io.tmpdir as /tmp is in the image; not /tmp
     * itself here, where a tmpfs would hide a build that lives under /tmp).
     */
    static final String READ_ONLY_ROOT = "mount -o remount,bind,ro / && mount -t tmpfs -o size=256m,mode=1777 none"
            + " \"$QR_WRITABLE\" && exec \"$0\" \"$@\"";

    /**
     * As compose runs the image: its ENTRYPOINT, its ENV, compose's variables, Jolokia on (its credentials file is
     * written at start), on a read-only root filesystem ({@code unshare}: a mount namespace of its own) whose one
     * writable place is a tmpfs; health-checked by its HEALTHCHECK. It starts, refreshes, takes a webhook, answers
     * Jolokia, logs JSON lines without a secret, and stops on SIGTERM.
     */
    @Test
    void theJarStartsAsTheImageStartsIt() throws Exception {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        Map<String, String> environment = env(dockerfile);
        Path writable = java.nio.file.Files.createDirectories(app.resolve("tmp"));
        boolean readOnly = readOnlyRootWorks(writable);
        if (readOnly) {
            environment.put("QR_WRITABLE", writable.toString());
            environment.put("JAVA_OPTS", environment.get("JAVA_OPTS") + " -Djava.io.tmpdir=" + writable);
        } else {
            System.out.println("ContainerEntrypointIT: no mount namespace here (unshare -rm): the read-only root is"
                    + " NOT checked");
        }
        environment.put("JOLOKIA_ENABLED", "true");
        environment.put("JOLOKIA_USER", "ops");
        environment.put("JOLOKIA_PASSWORD", "read-only-root-password-7");
        int httpPort = FreePorts.next();
        int managementPort = FreePorts.next();
        environment.put("HTTP_PORT", String.valueOf(httpPort));
        environment.put("MANAGEMENT_PORT", String.valueOf(managementPort));
        environment.put("EMBEDDED_POSTGRES_DATA_DIR", app.resolve("data").toString());
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start()) {
            evolution.addInstance("boxed", "token-boxed-7", State.CONNECTING);
            evolution.rotate("boxed");
            // what docker-compose.yml passes
            environment.put("DATABASE_URL", SharedPostgres.newDatabase());
            environment.put("DATABASE_USER", "postgres");
            environment.put("EVOLUTION_API_BASE_URL", evolution.baseUrl().toString());
            environment.put("EVOLUTION_API_KEY", ScriptedEvolutionApi.GLOBAL_KEY);
            environment.put("EVOLUTION_WEBHOOK_TOKEN", Webhooks.TOKEN);
            environment.put("ADMIN_TOKEN", ADMIN_TOKEN);
            environment.put("LOG_FORMAT", "json");
            environment.put("LOG_LEVEL", "DEBUG");
            // only the manual run below claims the row (a scheduled run at a minute's start could take it first)
            environment.put("QR_REFRESH_CRON", "0 0 0 1 1 ? 2099");

            Process process = launch(dockerfile, environment, readOnly, app.resolve("console.log"));
            try {
                assertThat(process.isAlive()).as("the service is running").isTrue();

                db(environment).insert();
                HttpResponse<String> refresh = HTTP.send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + httpPort + "/refresh-qr-codes"))
                        .header("Authorization", "Bearer " + ADMIN_TOKEN)
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(refresh.statusCode()).isEqualTo(200);
                assertThat(JSON.readTree(refresh.body()).get("refreshed").asInt()).isEqualTo(1);
                HttpResponse<String> webhook = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + httpPort + "/webhooks/evolution?token=" + Webhooks.TOKEN))
                        .POST(HttpRequest.BodyPublishers.ofString(Webhooks.qrEvent("boxed", "2@pushed", null)))
                        .build(), HttpResponse.BodyHandlers.ofString());
                assertThat(webhook.statusCode()).isEqualTo(200);
                HttpResponse<String> jolokia = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                                + managementPort + "/observe/jolokia/version")).header("Authorization", "Basic "
                                + java.util.Base64.getEncoder().encodeToString("ops:read-only-root-password-7"
                                .getBytes(StandardCharsets.UTF_8))).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(jolokia.statusCode()).as(jolokia.body()).isEqualTo(200);
            } finally {
                process.destroy();
                assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
            }

            List<JsonNode> lines = new ArrayList<>();
            for (String line : Files.readAllLines(app.resolve("console.log"), StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    try {
                        lines.add(JSON.readTree(line));
                    } catch (IOException e) {
                        throw new AssertionError("Not a JSON log line: " + line, e);
                    }
                }
            }
            assertThat(lines).allSatisfy(line -> assertThat(line.has("timestamp") && line.has("level")
                    && line.has("logger") && line.has("message")).isTrue());
            assertThat(lines).anySatisfy(line -> assertThat(line.path("route_id").asText()).isEqualTo("refresh-run"));
            assertThat(lines).anySatisfy(line -> assertThat(line.path("instance").asText()).isEqualTo("boxed"));
            // the run number is not asserted: a scheduled run may start first when the service starts at a minute
            assertThat(lines).anySatisfy(line -> assertThat(line.path("message").asText())
                    .matches("Refresh run \\d+ \\(manual\\) succeeded.*"));
            // a run's summary is about no single instance
            assertThat(lines).filteredOn(line -> line.path("message").asText().startsWith("Refresh run "))
                    .isNotEmpty().allSatisfy(line -> assertThat(line.path("instance").asText("")).isEmpty());
            String console = Files.readString(app.resolve("console.log"));
            assertThat(console).doesNotContain(ADMIN_TOKEN, Webhooks.TOKEN, ScriptedEvolutionApi.GLOBAL_KEY,
                    "token-boxed-7", "read-only-root-password-7", "Read-only file system");
        }
    }

    /**
     * {@code docker run qr-refresher} (demo mode: embedded PostgreSQL) then {@code docker stop} (SIGTERM): the service
     * stops Camel first, the embedded database last, logs no ERROR, and leaves no PostgreSQL running (its
     * postmaster.pid is gone once it stopped cleanly).
     */
    @Test
    void demoModeStopsCleanlyOnSigterm() throws Exception {
        String dockerfile = Files.readString(Path.of("Dockerfile"));
        Map<String, String> environment = env(dockerfile);
        environment.put("HTTP_PORT", String.valueOf(FreePorts.next()));
        environment.put("MANAGEMENT_PORT", String.valueOf(FreePorts.next()));
        environment.put("EMBEDDED_POSTGRES_PORT", String.valueOf(FreePorts.next()));
        Path data = app.resolve("demo-data");
        environment.put("EMBEDDED_POSTGRES_DATA_DIR", data.toString());
        Process process = launch(dockerfile, environment, false, app.resolve("demo.log"));
        try {
            assertThat(process.isAlive()).as("the demo is running").isTrue();
            assertThat(data.resolve("postmaster.pid")).exists();
        } finally {
            process.destroy();
            assertThat(process.waitFor(90, TimeUnit.SECONDS)).as("stops on SIGTERM").isTrue();
        }
        String log = Files.readString(app.resolve("demo.log"));
        assertThat(log).contains("shutdown").doesNotContain("ERROR", "Exception");
        // the database stopped with the service: PostgreSQL removes its pid file when it stops
        await().atMost(Duration.ofSeconds(30)).until(() -> !Files.exists(data.resolve("postmaster.pid")));
    }

    /**
     * Starts the jar {@code mvn package} built with the image's ENTRYPOINT and {@code environment} (only that: none of
     * the settings of the shell running the tests), in a read-only root when asked; returns once the image's own
     * HEALTHCHECK command passes, or the process ended.
     */
    private Process launch(String dockerfile, Map<String, String> environment, boolean readOnly, Path log)
            throws Exception {
        Path jar = Path.of("target", "qr-refresher.jar").toAbsolutePath();
        List<String> command = new ArrayList<>();
        if (readOnly) {
            command.addAll(List.of("unshare", "-rm", "sh", "-c", READ_ONLY_ROOT));
        }
        for (String part : entrypoint(dockerfile)) {
            command.add(part.replace("/app/qr-refresher.jar", jar.toString()));
        }
        ProcessBuilder builder = new ProcessBuilder(command).directory(app.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().keySet().removeIf(key -> key.matches(
                "DATABASE_.*|EVOLUTION_.*|QR_.*|ALERT_.*|ADMIN_.*|JOLOKIA_.*|EMBEDDED_.*"));
        builder.environment().putAll(environment);
        Process process = builder.start();
        List<String> healthcheck = healthcheck(dockerfile);
        try {
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
                    .until(() -> !process.isAlive() || run(healthcheck, environment) == 0);
        } catch (RuntimeException | Error e) {
            process.destroyForcibly();
            throw e;
        }
        return process;
    }

    /**
     * Whether this machine makes mount namespaces ({@code unshare -rm}), and the one made is what the test needs:
     * {@code /} refuses writes, the writable directory takes them (else the check could not fail).
     */
    private boolean readOnlyRootWorks(Path writable) throws Exception {
        Path probe = app.resolve("probe");
        ProcessBuilder namespace = new ProcessBuilder("unshare", "-rm", "sh", "-c", READ_ONLY_ROOT, "sh", "-c",
                "touch \"$QR_WRITABLE/written\" && ! touch " + probe + " 2>/dev/null").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        namespace.environment().put("QR_WRITABLE", writable.toString());
        Process check;
        try {
            check = namespace.start();
        } catch (IOException e) {
            return false;
        }
        assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return check.exitValue() == 0 && !Files.exists(probe);
    }

    /** Rows as the application writes them, through a plain JDBC connection. */
    private static Inserter db(Map<String, String> environment) {
        return () -> {
            try (var connection = java.sql.DriverManager.getConnection(environment.get("DATABASE_URL"), "postgres",
                    null);
                 var statement = connection.prepareStatement("INSERT INTO evolution_instances (instance_name,"
                         + " instance_token, instance_status) VALUES ('boxed', 'token-boxed-7', 'connecting')")) {
                statement.executeUpdate();
            }
        };
    }

    private interface Inserter {
        void insert() throws Exception;
    }

    private static List<String> entrypoint(String dockerfile) throws Exception {
        Matcher matcher = Pattern.compile("(?m)^ENTRYPOINT\\s+(\\[.*])\\s*$").matcher(dockerfile);
        assertThat(matcher.find()).as("ENTRYPOINT in exec form").isTrue();
        List<String> parts = new ArrayList<>();
        JSON.readTree(matcher.group(1)).forEach(part -> parts.add(part.asText()));
        return parts;
    }

    /** The HEALTHCHECK's command, in exec form (a JSON array after CMD). */
    private static List<String> healthcheck(String dockerfile) throws IOException {
        Matcher matcher = Pattern.compile("(?s)HEALTHCHECK .*?\\\\\\s*\\n\\s*CMD (\\[.*?])\\s*\\n").matcher(dockerfile);
        assertThat(matcher.find()).as("HEALTHCHECK ... CMD [exec form]").isTrue();
        List<String> command = new ArrayList<>();
        JSON.readTree(matcher.group(1)).forEach(part -> command.add(part.asText()));
        return command;
    }

    /** Exit code of {@code command} with {@code environment}: the health check passes at 0. */
    private static int run(List<String> command, Map<String, String> environment) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD);
        builder.environment().putAll(environment);
        Process check = builder.start();
        assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return check.exitValue();
    }

    /** The ENV instructions of the run stage (the last FROM). */
    private static Map<String, String> env(String dockerfile) {
        String runStage = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
        Map<String, String> environment = new LinkedHashMap<>();
        Matcher instruction = Pattern.compile("(?ms)^ENV\\s+(.*?)(?<!\\\\)$").matcher(runStage);
        while (instruction.find()) {
            Matcher pair = Pattern.compile("([A-Z_]+)=(\"[^\"]*\"|\\S+)").matcher(instruction.group(1));
            while (pair.find()) {
                environment.put(pair.group(1), pair.group(2).replaceAll("^\"|\"$", ""));
            }
        }
        assertThat(environment).containsKeys("JAVA_OPTS", "HTTP_PORT", "MANAGEMENT_PORT");
        return environment;
    }
}
