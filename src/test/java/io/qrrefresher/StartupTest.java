package io.qrrefresher;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Bad configuration stops the real entry point ({@code main}, a separate JVM, as {@code java -jar} runs it) with one
 * line on stderr that names the variable, and an exit code of 2.
 */
// beside the other test classes: its services are JVMs of their own, nothing in this JVM is shared (junit-platform.properties)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("process-tests") // one at a time; beside AlertCausesTest, after ReplicasTest (@Order)
@Order(21)
class StartupTest {

    record Result(int exitCode, String stdout, String stderr) {
    }

    @Test
    void aUnixCronStopsStartupWithOneLineNamingTheKey() throws Exception {
        Result result = run(Map.of("QR_REFRESH_CRON", "*/30 * * * *"));

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stderr().strip().lines()).containsExactly("qr-refresher: Invalid configuration QR_REFRESH_CRON"
                + " (qr.refresh.cron): '*/30 * * * *' is not a valid Quartz cron expression: Unexpected end of"
                + " expression. (that looks like a 5-field Unix cron; Quartz starts with seconds: '0 * * * * ?' is"
                + " every minute)");
    }

    @Test
    void aDatabaseWithoutEvolutionApiStopsStartup() throws Exception {
        Result result = run(Map.of("DATABASE_URL", "postgresql://app:s3cr3t-pw@db.example.com:5432/app"));

        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.stderr()).contains("EVOLUTION_API_BASE_URL (evolution.api.base-url): is required");
        assertThat(result.stdout() + result.stderr()).doesNotContain("s3cr3t-pw");
    }

    @Test
    void anUnreachableDatabaseStopsStartupWithoutItsPassword() throws Exception {
        Result result = run(Map.of(
                "DATABASE_URL", "jdbc:postgresql://127.0.0.1:1/app?password=s3cr3t-pw&connectTimeout=2",
                "EVOLUTION_API_BASE_URL", "http://127.0.0.1:1"));

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr().strip().lines()).singleElement().asString()
                .startsWith("qr-refresher: failed to start: cannot connect to the database")
                .contains("password=***");
        assertThat(result.stdout() + result.stderr()).doesNotContain("s3cr3t-pw")
                .as("nothing sent a SIGTERM").doesNotContain("SIGTERM");
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"MANAGEMENT_PORT (management.port)", "HTTP_PORT (http.port)"})
    void aPortThatCannotBeOpenedStopsStartup(String setting) throws Exception {
        // Camel's management server only logs a port it cannot bind: the service used to run on without health or
        // metrics, never ready (what a replica of ReplicasTest met when a test beside it took its port first)
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("0.0.0.0"))) {
            boolean management = setting.startsWith("MANAGEMENT");
            int free = io.qrrefresher.support.FreePorts.next();
            Result result = run(Map.of(
                    "DATABASE_URL", io.qrrefresher.support.SharedPostgres.newDatabase(),
                    "DATABASE_USER", "postgres",
                    "EVOLUTION_API_BASE_URL", "http://127.0.0.1:1",
                    "QR_REFRESH_CRON", io.qrrefresher.support.RunningService.NEVER,
                    "HTTP_PORT", String.valueOf(management ? free : taken.getLocalPort()),
                    "MANAGEMENT_PORT", String.valueOf(management ? taken.getLocalPort() : free)));

            assertThat(result.exitCode()).isEqualTo(2);
            assertThat(result.stderr().strip().lines()).singleElement().asString()
                    .startsWith("qr-refresher: Invalid configuration " + setting + ": port ")
                    .contains(taken.getLocalPort() + " cannot be opened");
        }
    }

    @Test
    void aListenUrlOfAnotherDatabaseStopsStartupBeforeMigratingIt() throws Exception {
        String pool = io.qrrefresher.support.SharedPostgres.newDatabase();
        String other = io.qrrefresher.support.SharedPostgres.newDatabase();
        Result result = run(Map.of(
                "DATABASE_URL", pool,
                "DATABASE_LISTEN_URL", other,
                "DATABASE_USER", "postgres",
                "EVOLUTION_API_BASE_URL", "http://127.0.0.1:1",
                "QR_REFRESH_CRON", io.qrrefresher.support.RunningService.NEVER,
                "HTTP_PORT", String.valueOf(io.qrrefresher.support.FreePorts.next()),
                "MANAGEMENT_PORT", String.valueOf(io.qrrefresher.support.FreePorts.next())));

        assertThat(result.exitCode()).isEqualTo(1);
        assertThat(result.stderr().strip().lines()).singleElement().asString()
                .contains("DATABASE_LISTEN_URL").contains("is not the same database as DATABASE_URL");
        for (String database : new String[] {pool, other}) {
            try (java.sql.Connection db = java.sql.DriverManager.getConnection(database, "postgres", "");
                 java.sql.ResultSet schema = db.createStatement().executeQuery(
                         "SELECT 1 FROM pg_namespace WHERE nspname = 'qr_refresher'")) {
                assertThat(schema.next()).as("nothing migrated in " + database).isFalse();
            }
        }
    }

    @Test
    void ecsLinesAreJsonWithTheEcsFields() throws Exception {
        Result result = run(Map.of("LOG_FORMAT", "ecs", "QR_REFRESH_CRON", "*/30 * * * *"));

        assertThat(result.exitCode()).isEqualTo(2);
        List<String> lines = result.stdout().strip().lines().toList();
        assertThat(lines).isNotEmpty().allSatisfy(line -> {
            com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(line);
            assertThat(json.get("ecs.version").asText()).isEqualTo("1.2.0");
            assertThat(json.has("@timestamp") && json.has("log.level") && json.has("log.logger")
                    && json.has("message")).isTrue();
            assertThat(json.get("service.name").asText()).isEqualTo("qr-refresher");
        });
    }

    static Result run(Map<String, String> environment) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
        // C1 only: these processes live seconds (ServiceProcess.quickJit)
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(QrRefresherApplication.class.getName());
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().keySet().removeIf(key -> key.startsWith("DATABASE_") || key.startsWith("EVOLUTION_")
                || key.startsWith("QR_") || key.startsWith("ALERT_") || key.equals("ADMIN_TOKEN") || key.startsWith("HTTP_")
                || key.startsWith("MANAGEMENT_"));
        builder.environment().putAll(environment);
        Process process = builder.start();
        byte[] stdout = process.getInputStream().readAllBytes();
        byte[] stderr = process.getErrorStream().readAllBytes();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), new String(stdout, StandardCharsets.UTF_8),
                new String(stderr, StandardCharsets.UTF_8));
    }
}
