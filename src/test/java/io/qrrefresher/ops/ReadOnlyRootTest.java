package io.qrrefresher.ops;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.Db;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.ServiceProcess;
import io.qrrefresher.support.SharedPostgres;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.postgresql.ds.PGSimpleDataSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The service on a read-only root filesystem, as {@code read_only: true} with {@code tmpfs: /tmp} runs it (compose,
 * Kubernetes' readOnlyRootFilesystem): its JVM starts in a mount namespace of its own ({@code unshare}) where {@code /}
 * is remounted read-only and its java.io.tmpdir (/tmp in the image), the one writable directory, is a fresh tmpfs. With Jolokia on (its
 * credentials file is written at start), it starts, serves the API, refreshes and answers Jolokia.
 */
@Execution(ExecutionMode.CONCURRENT)
@ResourceLock("process-tests") // one at a time, after ReplicasTest (@Order)
@Order(24)
class ReadOnlyRootTest {

    /** The namespace: {@code /} read-only, then a tmpfs on the writable directory ({@code $QR_WRITABLE}). */
    static final String NAMESPACE = "mount -o remount,bind,ro / && mount -t tmpfs -o size=256m,mode=1777 none"
            + " \"$QR_WRITABLE\" && exec \"$0\" \"$@\"";
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void startsAndServesWithOnlyTmpWritable() throws Exception {
        // the one writable directory, java.io.tmpdir (/tmp in the image); not /tmp itself here: a tmpfs there would
        // hide the build, which may live under /tmp
        Path writable = Files.createDirectories(work.resolve("tmp"));
        // the namespace itself: / refuses writes, the writable directory takes them (else this test could not fail)
        Path probe = work.resolve("probe");
        ProcessBuilder namespace = new ProcessBuilder("unshare", "-rm", "sh", "-c", NAMESPACE, "sh", "-c",
                "touch \"$QR_WRITABLE/written\" && ! touch " + probe + " 2>/dev/null").redirectErrorStream(true);
        namespace.environment().put("QR_WRITABLE", writable.toString());
        Process check = namespace.start();
        String checkOutput = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(check.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assumeTrue(check.exitValue() == 0, "SKIPPED: no mount namespace here (unshare -rm): " + checkOutput);
        assertThat(probe).doesNotExist();

        String database = SharedPostgres.newDatabase();
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(database);
        dataSource.setUser("postgres");
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             ServiceProcess service = ServiceProcess.against(evolution.baseUrl(), ScriptedEvolutionApi.GLOBAL_KEY,
                             database, work.resolve("service"))
                     .through("unshare", "-rm", "sh", "-c", NAMESPACE)
                     .env("QR_WRITABLE", writable.toString())
                     .jvmOption("-Djava.io.tmpdir=" + writable)
                     .env("JOLOKIA_ENABLED", "true").env("JOLOKIA_USER", "ops").env("JOLOKIA_PASSWORD",
                             "read-only-root-password-7")
                     .env("HOME", "/nonexistent")
                     .quickJit().start()) {
            evolution.addInstance("read-only", "token-ro", State.CONNECTING);
            evolution.rotate("read-only");
            new Db(dataSource).insertInstance("read-only", "token-ro", "connecting");

            HttpResponse<String> run = service.send("POST", "/refresh-qr-codes", null);
            assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
            JsonNode body = JSON.readTree(run.body());
            assertThat(body.get("refreshed").asInt() + body.get("unchanged").asInt()).isEqualTo(1);
            HttpResponse<String> jolokia = HTTP.send(HttpRequest.newBuilder(service.managementUrl(
                    "/observe/jolokia/version")).header("Authorization", "Basic " + Base64.getEncoder()
                    .encodeToString("ops:read-only-root-password-7".getBytes(StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(jolokia.statusCode()).as(jolokia.body()).isEqualTo(200);

            String console = Files.readString(service.directory().resolve("console.log"));
            assertThat(console).doesNotContain("Read-only file system", " ERROR ");
        }
    }
}
