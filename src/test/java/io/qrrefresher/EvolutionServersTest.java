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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two real HTTP Evolution servers on loopback (EVOLUTION_SERVERS=br1=...,br2=...): each row is refreshed on the server
 * its evolution_server names (NULL: the first one), each server has its own route, key and circuit breaker, and a
 * server that is down stops the calls to it only.
 */
@Execution(ExecutionMode.CONCURRENT) // a second service in this JVM, beside the one-at-a-time classes
@ResourceLock("second-service")
@Order(19)
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
        Map<String, ScriptedEvolutionApi> servers = new LinkedHashMap<>();
        servers.put("br1", br1);
        servers.put("br2", br2);
        service = RunningService.againstServers(servers)
                // EVOLUTION_API_KEY_BR2: rows of br2 without a token are called with it
                .with("evolution.api-key-br2", "key-of-br2")
                .with("evolution.circuit.window-size", "4")
                .with("evolution.circuit.minimum-calls", "4")
                .with("evolution.circuit.open-duration", "PT60S")
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
