package io.qrrefresher;

import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.qrrefresher.demo.EvolutionSimulator.Reply;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two real HTTP Evolution servers on loopback (EVOLUTION_SERVERS=br1=...,br2=...): each row is refreshed on the server
 * its evolution_server names (NULL: the first one), each server has its own route, key and circuit breaker, and a
 * server that is down stops the calls to it only.
 */
class EvolutionServersTest {

    static final ObjectMapper JSON = new ObjectMapper();

    ScriptedEvolutionApi br1;
    ScriptedEvolutionApi br2;
    RunningService service;

    @BeforeEach
    void servers() throws Exception {
        br1 = ScriptedEvolutionApi.start();
        // br2 has a key of its own (its AUTHENTICATION_API_KEY)
        br2 = ScriptedEvolutionApi.startWithKey("key-of-br2");
        br1.identity("2.3.7", "node_br1");
        br2.identity("2.4.0-rc2", "node_br2");
        Map<String, ScriptedEvolutionApi> servers = new LinkedHashMap<>();
        servers.put("br1", br1);
        servers.put("br2", br2);
        service = RunningService.againstServers(servers)
                // EVOLUTION_API_KEY_BR2: rows of br2 without a token are called with it
                .with("evolution.api-key-br2", "key-of-br2")
                .with("evolution.circuit.window-size", "4")
                .with("evolution.circuit.minimum-calls", "4")
                .with("evolution.circuit.open-duration", "PT60S")
                // a call that hangs is never given up on while the test waits for it (the server would still count
                // an abandoned call as in flight)
                .with("evolution.timeout-ms", "30000")
                // three workers, one call at once per server: a slow server holds one of them in a call and one
                // waiting for it, never the third
                .with("qr.refresh.concurrency", "3")
                .with("evolution.server-concurrency", "1")
                // a row waits past "no QR generated" one second after its QR (read by the failure check's query)
                .with("alert.no-qr-after", "PT1S")
                // GET / of each server read every second instead of every 5 minutes
                .with("evolution.info-interval-ms", "1000")
                .with("evolution.webhook-token", Webhooks.TOKEN)
                .start();
    }

    @AfterEach
    void stop() throws Exception {
        service.close();
        br1.close();
        br2.close();
    }

    @Test
    void eachRowIsRefreshedOnItsServerAndADownServerStopsOnlyItsOwnCalls() throws Exception {
        waiting(br1, "on-br1", "br1");
        waiting(br1, "unnamed", null);
        waiting(br2, "on-br2", "br2");

        RefreshRun first = service.refresh();

        assertThat(first.getRefreshed()).isEqualTo(3);
        assertThat(br1.calls(EvolutionCall.CONNECT, "on-br1")).isEqualTo(1);
        assertThat(br1.calls(EvolutionCall.CONNECT, "unnamed")).as("NULL: the first server listed").isEqualTo(1);
        assertThat(br2.calls(EvolutionCall.CONNECT, "on-br2")).isEqualTo(1);
        assertThat(br1.calls(EvolutionCall.CONNECTION_STATE, "on-br2") + br2.calls(EvolutionCall.CONNECTION_STATE,
                "on-br1")).as("no call on the other server").isZero();
        assertThat(qrOf("on-br2")).startsWith("data:image/png;base64,");
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(service.managementUrl("/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics).as("each server's calls counted under its name").contains(
                "qr_refresher_evolution_call_seconds_count{call=\"connect\",result=\"200\",server=\"br1\"} 2",
                "qr_refresher_evolution_call_seconds_count{call=\"connect\",result=\"200\",server=\"br2\"} 1");
        // each server's waiting instances and those with a QR that has not expired (read every 5 s)
        await().until(() -> java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(service.managementUrl("/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body(), body -> body.contains("qr_refresher_server_connecting_instances{server=\"br1\"} 2")
                && body.contains("qr_refresher_server_fresh_instances{server=\"br1\"} 2")
                && body.contains("qr_refresher_server_fresh_instances{server=\"br2\"} 1"));

        // br2 fails every call: its breaker opens, br1's instances are refreshed in the same runs
        br2.failEveryCall(Reply.json(500, Map.of("status", 500, "error", "Internal Server Error")));
        CircuitBreakerRegistry breakers = service.context().getRegistry().findSingleByType(
                CircuitBreakerRegistry.class);
        for (int run = 0; run < 6 && breakers.find("evolution-api-br2").orElseThrow().getState()
                != CircuitBreaker.State.OPEN; run++) {
            String before = qrOf("on-br1");
            br1.rotate("on-br1");
            RefreshRun during = service.refresh();
            assertThat(during.getRefreshed()).as("br1's instance refreshed while br2 fails").isEqualTo(1);
            assertThat(qrOf("on-br1")).isNotEqualTo(before).startsWith("data:image/png;base64,");
        }
        assertThat(breakers.find("evolution-api-br2").orElseThrow().getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(breakers.find("evolution-api-br1").orElseThrow().getState())
                .isEqualTo(CircuitBreaker.State.CLOSED);
        int br2Calls = br2.totalCalls();

        br1.rotate("unnamed");
        RefreshRun whileOpen = service.refresh();
        assertThat(whileOpen.getRefreshed()).isEqualTo(1);
        assertThat(br2.totalCalls()).as("no call to a server whose breaker is open").isEqualTo(br2Calls);

        // health names the server that is down; the other one's check stays up
        HttpResponse<String> checks = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(service.managementUrl("/observe/health?exposureLevel=full&data=true")).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode byId = byId(JSON.readTree(checks.body()));
        assertThat(byId.path("evolution-circuit-breaker-br2").path("status").asText()).isEqualTo("DOWN");
        assertThat(byId.path("evolution-circuit-breaker-br1").path("status").asText()).isEqualTo("UP");
    }

    @Test
    void aRowWithoutTokenIsCalledWithItsServersOwnKey() throws Exception {
        br2.addInstance("keyless", null, State.CONNECTING);
        br2.rotate("keyless");
        service.db().insertInstance("keyless", null, "connecting");
        service.db().update("UPDATE evolution_instances SET evolution_server = ? WHERE instance_name = ?", "br2",
                "keyless");

        RefreshRun run = service.refresh();

        // br2 accepts only its own key for a row without a token (EVOLUTION_API_KEY would be refused with a 401)
        assertThat(run.getRefreshed()).isEqualTo(1);
        assertThat(qrOf("keyless")).startsWith("data:image/png;base64,");
        assertThat(br1.totalCalls()).isZero();
    }

    @Test
    void aRowNamingAServerThatIsNotConfiguredFailsWithAnErrorThatNamesIt() throws Exception {
        service.db().insertInstance("lost", "token-lost", "connecting");
        service.db().update("UPDATE evolution_instances SET evolution_server = ? WHERE instance_name = ?", "br9",
                "lost");

        RefreshRun run = service.refresh();

        assertThat(run.getFailed()).isEqualTo(1);
        assertThat(run.getResults()).singleElement().satisfies(result -> assertThat(result.error())
                .contains("evolution_server 'br9' is not a configured Evolution server", "br1, br2"));
        assertThat(br1.totalCalls() + br2.totalCalls()).isZero();
    }

    @Test
    void eachServerSaysWhatItIsAndALicenceGateIsNamedWithoutEchoingIt() throws Exception {
        JsonNode servers = await().until(this::evolutionServers, body -> body.path("servers").size() == 2
                && body.path("servers").path(0).path("version").asText().equals("2.3.7")
                && body.path("servers").path(1).path("version").asText().equals("2.4.0-rc2"));
        JsonNode first = servers.path("servers").path(0);
        assertThat(first.path("name").asText()).isEqualTo("br1");
        assertThat(first.path("url").asText()).isEqualTo(br1.baseUrl().toString().replaceAll("/$", ""));
        assertThat(first.path("version").asText()).isEqualTo("2.3.7");
        assertThat(first.path("client_name").asText()).isEqualTo("node_br1");
        assertThat(first.path("licence_required").asBoolean()).isFalse();
        assertThat(first.path("circuit_breaker").asText()).isEqualTo("CLOSED");
        assertThat(servers.toString()).doesNotContain("key-of-br2", ScriptedEvolutionApi.GLOBAL_KEY);
        assertThat(service.get("/evolution-servers", null).statusCode()).isEqualTo(401);
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(service.managementUrl("/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics).contains(
                "qr_refresher_evolution_server_info{client_name=\"node_br1\",server=\"br1\",version=\"2.3.7\"} 1",
                "qr_refresher_evolution_server_info{client_name=\"node_br2\",server=\"br2\",version=\"2.4.0-rc2\"} 1");

        // br2 is a 2.4.0-rc behind its licence gate: every request answers 503 LICENSE_REQUIRED
        br2.licenceGate(true);
        waiting(br2, "gated", "br2");
        RefreshRun run = service.refresh();

        assertThat(run.getFailed()).isEqualTo(1);
        assertThat(run.getResults()).singleElement().satisfies(result -> assertThat(result.error())
                .contains("LICENSE_REQUIRED", "activate its licence").doesNotContain("3f2b8c1e", "127.0.0.1"));
        assertThat(run.getResults().get(0).cause()).isEqualTo("license_required");
        assertThat(service.db().state("gated").get("last_failure_reason")).isEqualTo("license_required");
        JsonNode gated = await().until(this::evolutionServers,
                body -> body.path("servers").path(1).path("licence_required").asBoolean());
        assertThat(gated.path("servers").path(1).path("problem").asText()).contains("LICENSE_REQUIRED");
        assertThat(gated.toString()).doesNotContain("3f2b8c1e", "manager/login\"");
        assertThat(gated.path("servers").path(0).path("licence_required").asBoolean()).isFalse();
    }

    @Test
    void aWebhookOfOneServerIsNotTakenForAnInstanceOfAnother() throws Exception {
        waiting(br2, "on-br2", "br2");
        Webhooks webhooks = new Webhooks(service);

        // the fixture's server_url is https://evo.example.com: set it to a configured server's URL
        HttpResponse<String> refused = webhooks.post(Webhooks.qrEvent("on-br2", "2@from-br1", null)
                .replace("https://evo.example.com", br1.baseUrl().toString()));

        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(JSON.readTree(refused.body()).path("message").asText()).contains("'br1'", "'br2'", "on-br2");
        assertThat(qrOf("on-br2")).isNull();

        HttpResponse<String> taken = webhooks.post(Webhooks.qrEvent("on-br2", "2@from-br2", null)
                .replace("https://evo.example.com", br2.baseUrl().toString()));
        assertThat(taken.statusCode()).isEqualTo(200);
        assertThat(qrOf("on-br2")).isEqualTo(io.qrrefresher.evolution.QrImages.dataUrl("2@from-br2"));
        // a server_url none of them has (Evolution's public SERVER_URL, say) says nothing: taken, as with one server
        assertThat(webhooks.post(Webhooks.qrEvent("on-br2", "2@public-name", null)).statusCode()).isEqualTo(200);
        assertThat(qrOf("on-br2")).isEqualTo(io.qrrefresher.evolution.QrImages.dataUrl("2@public-name"));
    }

    @Test
    void aRowThatNamesNoServerIsFoundByTheServersListsAndFollowedWhenItsInstanceMoves() throws Exception {
        waiting(br2, "found-on-br2", null);
        waiting(br1, "moving", null);
        waiting(br1, "twice", null);
        br2.addInstance("twice", "token-twice", State.CONNECTING);
        service.db().insertInstance("nowhere", "token-nowhere", "connecting");
        // started again (same database and properties), so that each server's first list, read at start, comes after
        // the instances were made: the rows that name no server are where the lists say
        RunningService again = service.again();
        service.close();
        service = again.start();
        io.qrrefresher.evolution.EvolutionDiscovery discovery = service.context().getRegistry()
                .lookupByNameAndType("evolutionDiscovery", io.qrrefresher.evolution.EvolutionDiscovery.class);
        await().until(() -> listedOnce(evolutionServers()));

        RefreshRun first = service.refresh();

        assertThat(br2.calls(EvolutionCall.CONNECT, "found-on-br2")).as("found on br2 by its list").isEqualTo(1);
        assertThat(qrOf("found-on-br2")).startsWith("data:image/png;base64,");
        assertThat(br1.calls(EvolutionCall.CONNECT, "moving")).isEqualTo(1);
        assertThat(resultOf(first, "twice").error()).contains("listed by several Evolution servers (br1, br2)");
        assertThat(br1.calls(EvolutionCall.CONNECTION_STATE, "twice") + br2.calls(EvolutionCall.CONNECTION_STATE,
                "twice")).as("no call for an instance two servers list").isZero();
        // no list names it: the default server (the first) is asked, as before discovery; its 404 asks for new lists
        assertThat(resultOf(first, "nowhere").error()).contains("HTTP 404");
        assertThat(br1.calls(EvolutionCall.CONNECTION_STATE, "nowhere")).isEqualTo(1);

        // the instance moves from br1 to br2: br1 answers 404, the lists are read again, the next run follows it
        br1.removeInstance("moving");
        br2.addInstance("moving", "token-moving", State.CONNECTING);
        br2.rotate("moving");
        RefreshRun afterMove = service.refresh();
        assertThat(resultOf(afterMove, "moving").error()).contains("HTTP 404");
        await().until(discovery::everyServerListedSinceAsked);

        RefreshRun followed = service.refresh();

        assertThat(resultOf(followed, "moving").outcome()).isEqualTo("refreshed");
        assertThat(br2.calls(EvolutionCall.CONNECT, "moving")).isEqualTo(1);
        assertThat(resultOf(followed, "nowhere").error()).contains("no Evolution server lists the instance");
        assertThat(service.db().state("nowhere").get("last_failure_reason")).isEqualTo("on_no_server");
        assertThat(service.db().state("twice").get("last_failure_reason")).isEqualTo("on_several_servers");
        assertThat(service.db().queryOne("SELECT count(*) AS named FROM evolution_instances"
                + " WHERE evolution_server IS NOT NULL").get("named")).as("the application's column untouched")
                .isEqualTo(0L);
        // the lists name instances, never their tokens
        assertThat(service.db().query("SELECT instance_name, server FROM qr_refresher.discovered_instances"
                + " ORDER BY instance_name, server").toString()).doesNotContain("token-")
                .contains("instance_name=moving, server=br2");
    }

    @Test
    void aServerWhoseCallsHangHoldsOnlyItsBudgetAndTheOtherServersInstancesAreRefreshedMeanwhile() throws Exception {
        for (int i = 1; i <= 4; i++) {
            waiting(br1, "fast-" + i, "br1");
        }
        java.util.concurrent.atomic.AtomicBoolean othersDoneMeanwhile = new java.util.concurrent.atomic.AtomicBoolean();
        for (int i = 1; i <= 3; i++) {
            waiting(br2, "hung-" + i, "br2");
            // every call to br2 hangs until br1's instances all have their QR (or 20 s passed: the test fails)
            br2.duringCall("hung-" + i, EvolutionCall.CONNECTION_STATE, () -> othersDoneMeanwhile.compareAndSet(false,
                    awaitQuietly(() -> java.util.stream.IntStream.rangeClosed(1, 4)
                            .allMatch(n -> qrOf("fast-" + n) != null))));
        }

        RefreshRun run = service.refresh();

        // with three workers and no budget, all three would hang on br2's calls and br1's instances would wait
        assertThat(othersDoneMeanwhile).as("br1's instances refreshed while br2's call hung").isTrue();
        assertThat(br2.maxInFlight()).as("one call at once to br2 (EVOLUTION_SERVER_CONCURRENCY=1)").isEqualTo(1);
        assertThat(run.getRefreshed()).as("br2's instances done in the run's second pass").isEqualTo(7);
        String metrics = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest
                .newBuilder(service.managementUrl("/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        assertThat(metrics).contains("qr_refresher_evolution_calls_in_flight{server=\"br2\"} 0");
    }

    private static boolean awaitQuietly(java.util.concurrent.Callable<Boolean> condition) {
        try {
            await().atMost(java.time.Duration.ofSeconds(20)).until(condition);
            return true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return false;
        }
    }

    /**
     * The failure check counts each server's waiting instances together, whether their rows name the server or name
     * none and it is the default one: a server is "without QR codes" only when all of its instances are.
     */
    @Test
    void theFailureCheckCountsARowThatNamesNoServerWithTheDefaultServersOwn() throws Exception {
        waiting(br1, "named-1", "br1");
        waiting(br1, "named-2", " br1 ");
        // no server has it, so no list will ever name it: it counts for the default server (br1, the first listed)
        service.db().insertInstance("unnamed-1", "token-unnamed-1", "connecting");
        waiting(br2, "other-1", "br2");
        service.refresh();

        java.util.List<?> rows = await().until(() -> service.context().createProducerTemplate()
                .requestBody("direct:read-waiting-instances", null, java.util.List.class), list -> list.size() == 4);

        Map<String, String> servers = new LinkedHashMap<>();
        Map<String, Number> counts = new LinkedHashMap<>();
        for (Object item : rows) {
            Map<?, ?> row = (Map<?, ?>) item;
            servers.put((String) row.get("instance_name"), (String) row.get("server"));
            counts.put((String) row.get("instance_name"), (Number) row.get("server_connecting_count"));
        }
        assertThat(servers).containsEntry("named-1", "br1").containsEntry("named-2", "br1")
                .containsEntry("unnamed-1", "br1").containsEntry("other-1", "br2");
        assertThat(counts.get("unnamed-1").intValue()).isEqualTo(3);
        assertThat(counts.get("named-2").intValue()).isEqualTo(3);
        assertThat(counts.get("other-1").intValue()).isEqualTo(1);
    }

    private static boolean listedOnce(JsonNode servers) {
        for (JsonNode server : servers.path("servers")) {
            if (server.path("listed_at").isNull() || server.path("listed_at").isMissingNode()) {
                return false;
            }
        }
        return true;
    }

    private static io.qrrefresher.refresh.InstanceResult resultOf(RefreshRun run, String name) {
        return run.getResults().stream().filter(result -> result.instanceName().equals(name)).findFirst().orElseThrow();
    }

    private JsonNode evolutionServers() throws Exception {
        HttpResponse<String> answer = service.get("/evolution-servers", RunningService.ADMIN_TOKEN);
        assertThat(answer.statusCode()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    private void waiting(ScriptedEvolutionApi server, String name, String column) {
        server.addInstance(name, "token-" + name, State.CONNECTING);
        server.rotate(name);
        service.db().insertInstance(name, "token-" + name, "connecting");
        if (column != null) {
            service.db().update("UPDATE evolution_instances SET evolution_server = ? WHERE instance_name = ?", column,
                    name);
        }
    }

    private String qrOf(String name) {
        return (String) service.db().instance(name).get("qr_code");
    }

    /** Camel's health answer as an object keyed by check id. */
    private static JsonNode byId(JsonNode health) {
        com.fasterxml.jackson.databind.node.ObjectNode byId = JSON.createObjectNode();
        for (JsonNode check : health.path("checks")) {
            byId.set(check.path("name").asText(), check);
        }
        return byId;
    }
}
