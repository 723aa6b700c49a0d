package io.qrrefresher;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.RestartablePostgres;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** PostgreSQL goes away and comes back: runs fail clearly, the process stays up, the next run works. */
@Execution(ExecutionMode.CONCURRENT) // a second service in this JVM, beside the one-at-a-time classes
@ResourceLock("second-service")
@Order(15)
class DatabaseRestartTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDir;

    @Test
    void theServiceSurvivesARestartOfItsDatabase() throws Exception {
        try (RestartablePostgres database = new RestartablePostgres(dataDir);
             ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution)
                     .with("database.url", database.jdbcUrl())
                     .with("database.wait-ms", "1500")
                     .start()) {
            evolution.addInstance("steady", "token-s", State.CONNECTING);
            evolution.rotate("steady");
            service.db().insertInstance("steady", "token-s", "connecting");
            assertThat(service.refresh().getRefreshed()).isEqualTo(1);

            database.stop();
            HttpResponse<String> duringOutage = service.post("/refresh-qr-codes", RunningService.ADMIN_TOKEN);

            assertThat(duringOutage.statusCode()).as(duringOutage.body()).isEqualTo(500);
            JsonNode body = JSON.readTree(duringOutage.body());
            assertThat(body.get("success").asBoolean()).isFalse();
            assertThat(body.get("message").asText()).startsWith("run aborted after 0 instances: database error");
            assertThat(service.context().isStarted()).isTrue();

            await().atMost(Duration.ofSeconds(30)).until(() -> ready(service) == 503);

            database.start();
            // HikariCP retries a lost database with a backoff of up to 5 s: the service finds its database again by
            // itself (readiness follows a probe that borrows from the pool), and the run after that works
            await().atMost(Duration.ofSeconds(30)).until(() -> ready(service) == 200);
            evolution.rotate("steady");
            HttpResponse<String> afterRestart = service.post("/refresh-qr-codes", RunningService.ADMIN_TOKEN);

            assertThat(afterRestart.statusCode()).as(afterRestart.body()).isEqualTo(200);
            assertThat(JSON.readTree(afterRestart.body()).get("refreshed").asInt()).isEqualTo(1);
            assertThat(service.db().instance("steady").get("qr_code")).isEqualTo(evolution.currentBase64("steady"));
        }
    }

    private static int ready(RunningService service) throws Exception {
        return service.send(java.net.http.HttpRequest.newBuilder(service.managementUrl("/observe/health/ready"))
                .build()).statusCode();
    }
}
