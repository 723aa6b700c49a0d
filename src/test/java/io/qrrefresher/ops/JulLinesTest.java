package io.qrrefresher.ops;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A line written to java.util.logging (as the PostgreSQL driver writes its warnings) comes out in the service's log
 * format, and its "terminating connection…" of a database going away not at all (the service tells the outage): in a
 * JVM of its own (java.util.logging's manager is chosen once per JVM), started the way the service starts
 * (QrRefresherApplication's first steps), with LOG_FORMAT json and ecs.
 */
class JulLinesTest {

    static final ObjectMapper JSON = new ObjectMapper();

    /** What the child JVM runs: the service's first steps, then one java.util.logging warning. */
    public static final class Probe {
        public static void main(String[] args) throws Exception {
            java.lang.reflect.Method route = io.qrrefresher.QrRefresherApplication.class
                    .getDeclaredMethod("routeJavaUtilLogging");
            route.setAccessible(true);
            route.invoke(null);
            java.lang.reflect.Method format = io.qrrefresher.QrRefresherApplication.class
                    .getDeclaredMethod("chooseLogFormat");
            format.setAccessible(true);
            format.invoke(null);
            io.qrrefresher.db.LostConnectionLines.install();
            java.util.logging.Logger.getLogger("com.impossibl.postgres.jdbc.PGDirectConnection")
                    .warning("terminating connection due to administrator command");
            java.util.logging.Logger.getLogger("com.impossibl.postgres.jdbc.PGDirectConnection")
                    .warning("unsupported parameter ssl_mode, ignored");
            org.apache.logging.log4j.LogManager.shutdown();
        }
    }

    @Test
    void aJavaUtilLoggingLineIsJsonInJsonAndEcsModes() throws Exception {
        for (String format : new String[] {"json", "ecs"}) {
            List<String> lines = run(format);
            assertThat(lines).as(format + ": " + lines).anyMatch(line -> line.contains("unsupported parameter"));
            // a lost connection is the service's to tell (DatabaseOutage): the driver's line stays at DEBUG
            assertThat(lines).as(format + ": " + lines).noneMatch(line -> line.contains("terminating connection"));
            for (String line : lines) {
                JsonNode parsed = JSON.readTree(line);
                assertThat(parsed.isObject()).as(format + ": " + line).isTrue();
            }
        }
    }

    private static List<String> run(String format) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder builder = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Probe.class.getName()).redirectErrorStream(true);
        builder.environment().put("LOG_FORMAT", format);
        Process process = builder.start();
        process.getOutputStream().close();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return output.lines().filter(line -> !line.isBlank()).toList();
    }
}
