package io.qrrefresher.ops;

import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.qrrefresher.support.FreePorts;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * hawtio without Docker, as the profile {@code mvn -Phawtio exec:java} starts it (io.hawt:hawtio-embedded 3.0.0 from
 * Maven Central, its own Jetty, on this project's test classpath): it serves its console page.
 */
// beside the other test classes: hawtio is a JVM of its own, nothing in this JVM is shared (junit-platform.properties)
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("process-tests") // one at a time; beside AlertCausesTest, after ReplicasTest (@Order)
@Order(23)
class HawtioTest {

    static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();

    @TempDir
    Path folder;

    @Test
    void hawtioServesItsConsolePage() throws Exception {
        int port = FreePorts.next();
        Process hawtio = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator
                + "java", "-cp", System.getProperty("java.class.path"), HawtioConsole.class.getName(),
                "--host", "127.0.0.1", "--port", String.valueOf(port))
                .directory(folder.toFile()).redirectErrorStream(true)
                .redirectOutput(folder.resolve("hawtio.log").toFile()).start();
        try {
            URI page = URI.create("http://127.0.0.1:" + port + "/hawtio/");
            HttpResponse<String> answer = await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                    .until(() -> get(page), response -> response != null && response.statusCode() == 200);
            assertThat(answer.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
                    assertThat(type).startsWith("text/html"));
            assertThat(answer.body()).containsIgnoringCase("hawtio");
        } finally {
            hawtio.destroy();
            hawtio.waitFor(20, TimeUnit.SECONDS);
        }
        List<String> log = Files.readAllLines(folder.resolve("hawtio.log"));
        assertThat(String.join("\n", log)).doesNotContain("Exception in thread \"main\"");
    }

    private static HttpResponse<String> get(URI uri) {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            return null;
        }
    }
}
