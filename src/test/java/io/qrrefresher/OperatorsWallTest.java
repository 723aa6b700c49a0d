package io.qrrefresher;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.QrImages;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The operators' wall's data: GET /wall/instances, and the page that holds no data. */
class OperatorsWallTest {

    static ScriptedEvolutionApi evolution;
    static RunningService service;

    @BeforeAll
    static void start() throws Exception {
        evolution = ScriptedEvolutionApi.start();
        service = RunningService.against(evolution).with("qr.refresh.on-request", "false").start();
        for (String name : new String[] {"wall-ok", "wall-failing", "wall-no-qr"}) {
            evolution.addInstance(name, "token-" + name, State.CONNECTING);
            service.db().insertInstance(name, "token-" + name, "connecting");
        }
        evolution.rotate("wall-ok");
        evolution.rotate("wall-failing");
        service.db().insertInstance("wall-open", "token-wall-open", "open");
        service.refresh();
        evolution.fault("wall-failing", io.qrrefresher.evolution.EvolutionCall.CONNECTION_STATE,
                io.qrrefresher.demo.EvolutionSimulator.Reply.json(200, java.util.Map.of("error", true,
                        "message", "[object Object]")));
        service.refresh();
        service.refresh();
        // the application wrote something that is not a QR image into its own column
        service.db().update("UPDATE evolution_instances SET qr_code = 'https://tracker.example.com/p.png'"
                + " WHERE instance_name = 'wall-no-qr'");
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        evolution.close();
    }

    @Test
    void everyPageHasAnIconAnIcoAskedOfTheSiteRoot() throws Exception {
        HttpResponse<byte[]> icon = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(service.url("/favicon.ico")).build(), HttpResponse.BodyHandlers.ofByteArray());

        assertThat(icon.statusCode()).isEqualTo(200);
        assertThat(icon.headers().firstValue("Content-Type")).hasValue("image/x-icon");
        byte[] bytes = icon.body();
        // an ICO with one 32x32 image, a PNG
        assertThat(java.util.Arrays.copyOf(bytes, 6)).containsExactly(0, 0, 1, 0, 1, 0);
        java.awt.image.BufferedImage image = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(bytes, 22,
                bytes.length - 22));
        assertThat(image.getWidth()).isEqualTo(32);
        assertThat(image.getHeight()).isEqualTo(32);
        assertThat(service.get("/wall", null).body()).contains("<link rel=\"icon\" href=\"/favicon.ico\">");
    }

    @Test
    void listsWaitingInstancesFailingFirstWithWhatAnOperatorLooksAt() throws Exception {
        JsonNode wall = wall(0);

        List<String> names = new ArrayList<>();
        wall.get("instances").forEach(instance -> names.add(instance.get("name").asText()));
        assertThat(names).containsExactly("wall-failing", "wall-no-qr", "wall-ok");
        assertThat(wall.get("total_connecting").asInt()).isEqualTo(3);
        JsonNode failing = wall.get("instances").get(0);
        assertThat(failing.get("consecutive_failures").asInt()).isEqualTo(2);
        assertThat(failing.get("last_error").asText()).contains("{\"error\":true}");
        assertThat(failing.get("qr_code").asText()).startsWith("data:image/png;base64,");
        assertThat(wall.get("instances").get(1).has("qr_code")).as("not an image: never an image source").isFalse();
        assertThat(failing.get("last_error_at").asText()).isNotEmpty();
        JsonNode ok = wall.get("instances").get(2);
        assertThat(ok.get("qr_code").asText()).isEqualTo(service.db().instance("wall-ok").get("qr_code"));
        assertThat(ok.get("qr_expires_at").asText()).isNotEmpty();
        assertThat(wall.get("circuit").asText()).isEqualTo("CLOSED");
        assertThat(wall.get("paused").asBoolean()).isFalse();
        assertThat(wall.toString()).doesNotContain("token-wall");
    }

    @Test
    void anInstanceThatRecoveredShowsNoErrorTimeWithoutAnError() throws Exception {
        // a failure once, then a refresh that succeeded: the row keeps when that failure was, the wall does not say it
        assertThat(service.db().update("UPDATE qr_refresher.instance_state SET consecutive_failures = 0, last_error = NULL,"
                + " last_error_at = now() - interval '1 minute' WHERE instance_id = (SELECT id FROM evolution_instances"
                + " WHERE instance_name = 'wall-ok')")).isEqualTo(1);
        JsonNode ok = null;
        for (JsonNode instance : wall(0).get("instances")) {
            if (instance.get("name").asText().equals("wall-ok")) {
                ok = instance;
            }
        }
        assertThat(ok).isNotNull();
        assertThat(ok.get("last_error").isNull()).isTrue();
        assertThat(ok.get("last_error_at").isNull()).as("no error time without an error").isTrue();
    }

    @Test
    void imagesTravelOnlyWhenTheyChangedSinceTheCursor() throws Exception {
        // a cursor past the overlap: nothing changed since
        long later = System.currentTimeMillis() + 60_000;
        JsonNode quiet = wall(later);
        quiet.get("instances").forEach(instance -> assertThat(instance.has("qr_code")).isFalse());

        String rotated = QrImages.dataUrl("2@wall-rotated," + System.nanoTime());
        long cursor = wall(0).get("cursor").asLong();
        // the next update is after the cursor's instant, whatever the clocks' resolution
        await().until(() -> ((Number) service.db().queryOne("SELECT CAST(floor(EXTRACT(EPOCH FROM now()) * 1000)"
                + " AS bigint) AS now_ms").get("now_ms")).longValue() > cursor);
        service.db().update("UPDATE evolution_instances SET qr_code = ?, last_qr_update = now() WHERE instance_name"
                + " = 'wall-ok'", rotated);
        JsonNode next = wall(cursor);
        for (JsonNode instance : next.get("instances")) {
            if (instance.get("name").asText().equals("wall-ok")) {
                assertThat(instance.get("qr_code").asText()).isEqualTo(rotated);
            }
        }
    }

    @Test
    void saysWhenTheRefreshIsPausedOrTheCircuitOpen() throws Exception {
        assertThat(service.post("/refresh-control/pause", RunningService.ADMIN_TOKEN).statusCode()).isEqualTo(200);
        try {
            assertThat(wall(0).get("paused").asBoolean()).isTrue();
        } finally {
            service.post("/refresh-control/resume", RunningService.ADMIN_TOKEN);
        }
        service.circuitBreaker().transitionToOpenState();
        try {
            assertThat(wall(0).get("circuit").asText()).isEqualTo("OPEN");
        } finally {
            service.circuitBreaker().transitionToClosedState();
        }
    }

    @Test
    void onlyTheAdminTokenOpensTheDataAndBadCursorsAre400() throws Exception {
        assertThat(service.get("/wall/instances", null).statusCode()).isEqualTo(401);
        assertThat(service.get("/wall/instances", RunningService.viewerToken("wall-ok")).statusCode()).isEqualTo(401);
        HttpResponse<String> bad = service.get("/wall/instances?since=yesterday", RunningService.ADMIN_TOKEN);
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(service.get("/wall/instances?since=-5", RunningService.ADMIN_TOKEN).statusCode()).isEqualTo(400);
    }

    @Test
    void thePageAndItsScriptHoldNoDataAndForbidInlineScripts() throws Exception {
        HttpResponse<String> page = service.send(HttpRequest.newBuilder(service.url("/wall")).GET().build());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                .startsWith("text/html"));
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(policy -> assertThat(policy)
                .contains("script-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe-eval"));
        assertThat(page.body()).contains("wall/wall.js").doesNotContain("wall-ok", RunningService.ADMIN_TOKEN);
        HttpResponse<String> script = service.send(HttpRequest.newBuilder(service.url("/wall/wall.js")).GET().build());
        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type)
                .startsWith("text/javascript"));
    }

    private static JsonNode wall(long since) throws Exception {
        HttpResponse<String> answer = service.get("/wall/instances?since=" + since, RunningService.ADMIN_TOKEN);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return Webhooks.json(answer);
    }
}
