package io.qrrefresher;

import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;

/** POST /refresh-qr-codes and GET /refresh-runs: the answer of the system we replace, and their protection. */
@Execution(ExecutionMode.CONCURRENT) // a second service in this JVM, beside the one-at-a-time classes
@ResourceLock("second-service")
@Order(17)
class AdminApiTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static ScriptedEvolutionApi evolution;
    static RunningService service;

    @BeforeAll
    static void start() throws Exception {
        evolution = ScriptedEvolutionApi.start();
        service = RunningService.against(evolution).start();
        evolution.addInstance("user_abc123", "token-abc", State.CONNECTING);
        evolution.rotate("user_abc123");
        evolution.addInstance("user_gone", "token-gone", State.CONNECTING);
        evolution.removeInstance("user_gone");
        service.db().insertInstance("user_abc123", "token-abc", "connecting");
        service.db().insertInstance("user_gone", "token-gone", "connecting");
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        evolution.close();
    }

    @Test
    void theManualTriggerAnswersLikeTheFunctionItReplaces() throws Exception {
        HttpResponse<String> response = service.post("/refresh-qr-codes", RunningService.ADMIN_TOKEN);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/json");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("success").asBoolean()).isTrue();
        assertThat(body.get("total_instances").asInt()).isEqualTo(2);
        assertThat(body.get("refreshed").asInt()).isEqualTo(1);
        assertThat(body.get("failed").asInt()).isEqualTo(1);
        assertThat(body.get("run_id").asLong()).isPositive();
        assertThat(body.get("status").asText()).isEqualTo("partially_failed");
        JsonNode ok = find(body.get("results"), "user_abc123");
        assertThat(ok.get("success").asBoolean()).isTrue();
        assertThat(ok.get("qr_updated").asBoolean()).isTrue();
        assertThat(ok.has("error")).isFalse();
        JsonNode gone = find(body.get("results"), "user_gone");
        assertThat(gone.get("success").asBoolean()).isFalse();
        assertThat(gone.get("qr_updated").asBoolean()).isFalse();
        assertThat(gone.get("error").asText()).contains("does not exist");
        assertThat(response.body()).doesNotContain("token-abc", "token-gone", ScriptedEvolutionApi.GLOBAL_KEY);
    }

    @Test
    void historyListsRunsNewestFirst() throws Exception {
        service.post("/refresh-qr-codes", RunningService.ADMIN_TOKEN);
        service.post("/refresh-qr-codes", RunningService.ADMIN_TOKEN);

        HttpResponse<String> response = service.get("/refresh-runs?limit=2", RunningService.ADMIN_TOKEN);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode runs = JSON.readTree(response.body()).get("runs");
        assertThat(runs).hasSize(2);
        assertThat(runs.get(0).get("id").asLong()).isGreaterThan(runs.get(1).get("id").asLong());
        JsonNode latest = runs.get(0);
        assertThat(latest.get("trigger").asText()).isEqualTo("manual");
        assertThat(latest.get("status").asText()).isEqualTo("partially_failed");
        assertThat(latest.get("total_instances").asInt()).isEqualTo(2);
        assertThat(latest.get("failed").asInt()).isEqualTo(1);
        assertThat(latest.get("started_at").asText()).endsWith("Z");
        assertThat(latest.get("duration_ms").isNumber()).isTrue();
        assertThat(latest.get("message").asText()).contains("2 instances");
    }

    @Test
    void aBadHistoryLimitIsA400() throws Exception {
        assertThat(service.get("/refresh-runs?limit=0", RunningService.ADMIN_TOKEN).statusCode()).isEqualTo(400);
        assertThat(service.get("/refresh-runs?limit=abc", RunningService.ADMIN_TOKEN).statusCode()).isEqualTo(400);
        assertThat(service.get("/refresh-runs?limit=501", RunningService.ADMIN_TOKEN).statusCode()).isEqualTo(400);
    }

    @Test
    void aMissingOrWrongTokenIsA401WithAJsonErrorAndRunsNothing() throws Exception {
        long runsBefore = runCount();
        for (String token : new String[] {null, "wrong", RunningService.ADMIN_TOKEN + "x", ""}) {
            HttpResponse<String> post = service.post("/refresh-qr-codes", token);
            assertThat(post.statusCode()).isEqualTo(401);
            // RFC 6750: a 401 names the scheme it wants
            assertThat(post.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
            assertThat(post.headers().firstValue("Content-Type")).hasValueSatisfying(type ->
                    assertThat(type).startsWith("application/json"));
            JsonNode body = JSON.readTree(post.body());
            assertThat(body.get("success").asBoolean()).isFalse();
            assertThat(body.get("error").asText()).isEqualTo("unauthorized");
            assertThat(post.body()).doesNotContain(RunningService.ADMIN_TOKEN);
            assertThat(service.get("/refresh-runs", token).statusCode()).isEqualTo(401);
        }
        assertThat(runCount()).isEqualTo(runsBefore);
    }

    @Test
    void withoutAnAdminTokenTheEndpointsAreClosed() throws Exception {
        try (RunningService closed = RunningService.against(evolution).with("admin.token", null).start()) {
            HttpResponse<String> post = closed.post("/refresh-qr-codes", "anything");
            assertThat(post.statusCode()).isEqualTo(403);
            assertThat(post.headers().firstValue("WWW-Authenticate")).isEmpty();
            assertThat(post.body()).contains("set ADMIN_TOKEN");
            assertThat(closed.get("/refresh-runs", "anything").statusCode()).isEqualTo(403);
        }
    }

    @Test
    void otherMethodsAreRefused() throws Exception {
        HttpResponse<String> get = service.get("/refresh-qr-codes", RunningService.ADMIN_TOKEN);
        assertThat(get.statusCode()).isEqualTo(405);
        // the methods the path takes (RFC 9110 §15.5.6), and a body that says what was wrong
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
        assertThat(get.body()).contains("\"error\":\"method_not_allowed\"");
        HttpResponse<String> post = service.post("/refresh-runs", RunningService.ADMIN_TOKEN);
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET");
        // a path with a variable
        HttpResponse<String> link = service.get("/instances/anyone/link", RunningService.ADMIN_TOKEN);
        assertThat(link.statusCode()).isEqualTo(405);
        assertThat(link.headers().firstValue("Allow")).hasValue("DELETE, POST");
    }

    /** What a viewer token or a link would be bound to is read first: no such row, a 404 and nothing made or kept. */
    @Test
    void aTokenOrALinkForAnInstanceThatDoesNotExistIsA404AndMakesNothing() throws Exception {
        long links = (Long) service.db().queryOne("SELECT count(*) AS n FROM qr_refresher.instance_links").get("n");
        for (String path : new String[] {"/instances/nobody-here/viewer-token", "/instances/nobody-here/link"}) {
            HttpResponse<String> answer = service.post(path, RunningService.ADMIN_TOKEN);

            assertThat(answer.statusCode()).as(path).isEqualTo(404);
            JsonNode body = JSON.readTree(answer.body());
            assertThat(body.get("error").asText()).as(path).isEqualTo("not_found");
            assertThat(body.get("message").asText()).as(path).isEqualTo("no such instance in evolution_instances");
            assertThat(body.has("token") || body.has("url")).as(path).isFalse();
        }
        assertThat(service.db().queryOne("SELECT count(*) AS n FROM qr_refresher.instance_links").get("n"))
                .isEqualTo(links);
        // the same requests for a row that exists go on past the binding
        assertThat(service.post("/instances/user_abc123/viewer-token", RunningService.ADMIN_TOKEN).statusCode())
                .isEqualTo(200);
    }

    private static long runCount() {
        return (Long) service.db().queryOne("SELECT count(*) AS n FROM qr_refresher.refresh_runs").get("n");
    }

    private static JsonNode find(JsonNode results, String name) {
        for (JsonNode result : results) {
            if (result.get("instance_name").asText().equals(name)) {
                return result;
            }
        }
        throw new AssertionError("No result for " + name + " in " + results);
    }
}
