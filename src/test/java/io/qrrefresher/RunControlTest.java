package io.qrrefresher;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.refresh.InstanceResult;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ServiceUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Runs never overlap, concurrency stays bounded, and the application's own changes are never overwritten. */
@Execution(ExecutionMode.CONCURRENT) // a second service in this JVM, beside the one-at-a-time classes
@ResourceLock("second-service")
@Order(13)
class RunControlTest {

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create()
            .with("qr.refresh.concurrency", "4");

    @Test
    void aRowTheApplicationChangesDuringTheCallIsLeftAlone() {
        sut.connectingInstanceWithQr("racing");
        // the user pairs in the app while the refresher is reading the QR
        sut.evolution().duringCall("racing", EvolutionCall.CONNECT, () -> sut.db().update(
                "UPDATE evolution_instances SET instance_status = 'open', qr_code = 'kept by the app'"
                        + " WHERE instance_name = 'racing'"));

        RefreshRun run = sut.service().refresh();

        assertThat(run.getResults()).singleElement()
                .satisfies(result -> assertThat(result.outcome()).isEqualTo("left_alone"));
        Map<String, Object> row = sut.db().instance("racing");
        assertThat(row.get("instance_status")).isEqualTo("open");
        assertThat(row.get("qr_code")).isEqualTo("kept by the app");
        assertThat(row.get("last_qr_update")).isNull();
    }

    @Test
    void aHostileInstanceNameIsJustAName() {
        String name = "x'); drop table evolution_instances; --";
        String placeholder = "{{admin.token}}/../a b";
        sut.evolution().addInstance(name, "token-hostile", State.CONNECTING);
        sut.evolution().rotate(name);
        sut.evolution().addInstance(placeholder, "token-placeholder", State.CONNECTING);
        sut.evolution().rotate(placeholder);
        sut.db().insertInstance(name, "token-hostile", "connecting");
        sut.db().insertInstance(placeholder, "token-placeholder", "connecting");

        RefreshRun run = sut.service().refresh();

        assertThat(run.getRefreshed()).isEqualTo(2);
        assertThat(sut.db().instance(name).get("qr_code")).isEqualTo(sut.evolution().currentBase64(name));
        assertThat(sut.db().instance(placeholder).get("qr_code")).isEqualTo(sut.evolution().currentBase64(placeholder));
        assertThat(sut.evolution().calls(EvolutionCall.CONNECT, name)).isEqualTo(1);
        assertThat(sut.evolution().calls(EvolutionCall.CONNECT, placeholder)).isEqualTo(1);
        assertThat(sut.db().queryOne("SELECT count(*) AS n FROM evolution_instances").get("n")).isEqualTo(2L);
    }

    @Test
    void concurrencyIsBoundedAndEveryInstanceIsRefreshed() {
        for (int i = 0; i < 24; i++) {
            String name = "fleet-" + i;
            sut.evolution().addInstance(name, "token-" + i, State.CONNECTING);
            sut.evolution().rotate(name);
            sut.evolution().delay(name, Duration.ofMillis(100));
            sut.db().insertInstance(name, "token-" + i, "connecting");
        }

        RefreshRun run = sut.service().refresh();

        assertThat(run.getRefreshed()).isEqualTo(24);
        assertThat(sut.evolution().maxInFlight()).isLessThanOrEqualTo(4);
    }

    @Test
    void aManualRunDuringARunWaitsForItAndThenRuns() throws Exception {
        sut.evolution().addInstance("slow", "token-slow", State.CONNECTING);
        sut.evolution().rotate("slow");
        sut.evolution().delay("slow", Duration.ofMillis(1500));
        sut.db().insertInstance("slow", "token-slow", "connecting");

        CompletableFuture<RefreshRun> first = CompletableFuture.supplyAsync(() -> sut.service().refresh());
        await().until(() -> sut.evolution().calls(EvolutionCall.CONNECTION_STATE, "slow") == 1);
        HttpResponse<String> second = sut.service().post("/refresh-qr-codes", RunningService.ADMIN_TOKEN);

        // runs never overlap: the manual run starts once the first has ended, and answers its own result
        assertThat(second.statusCode()).isEqualTo(200);
        RefreshRun before = first.get();
        assertThat(before.getRefreshed()).isEqualTo(1);
        com.fasterxml.jackson.databind.JsonNode answer = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(second.body());
        assertThat(answer.get("run_id").asLong()).isGreaterThan(before.getId());
        assertThat(answer.get("unchanged").asInt()).isEqualTo(1);
        assertThat(sut.evolution().calls(EvolutionCall.CONNECTION_STATE, "slow")).isEqualTo(2);
        assertThat(sut.evolution().maxInFlight()).isEqualTo(1);
    }

    @Test
    void scheduledTicksThatFallDuringARunAreSkipped() throws Exception {
        sut.evolution().addInstance("tick", "token-tick", State.CONNECTING);
        sut.evolution().rotate("tick");
        sut.evolution().delay("tick", Duration.ofMillis(1200));
        try (RunningService scheduled = RunningService.against(sut.evolution())
                .with("qr.refresh.cron", "* * * * * ?").with("qr.refresh.min-interval", "PT1S").start()) {
            scheduled.db().insertInstance("tick", "token-tick", "connecting");

            // each run makes two calls of 1.2 s: a tick every second would start about 3 runs per run
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    scheduled.db().query("SELECT id FROM qr_refresher.refresh_runs WHERE status <> 'running'").size() >= 3);
            scheduled.context().getRouteController().stopRoute("refresh-qr-codes");

            List<Map<String, Object>> runs = scheduled.db().query(
                    "SELECT started_at, ended_at FROM qr_refresher.refresh_runs ORDER BY started_at");
            for (int i = 1; i < runs.size(); i++) {
                assertThat((java.sql.Timestamp) runs.get(i).get("started_at"))
                        .isAfterOrEqualTo((java.sql.Timestamp) runs.get(i - 1).get("ended_at"));
            }
            assertThat(sut.evolution().maxInFlight()).isEqualTo(1);
            assertThat(runs).allSatisfy(run -> assertThat(run.get("ended_at")).isNotNull());
        }
    }

    @Test
    void aLimitedRunTakesTheInstancesLeastRecentlyRefreshedFirst() throws Exception {
        // the QR codes do not rotate after the first store: ordering by QR age would pick the same two every run
        try (RunningService limited = RunningService.against(sut.evolution())
                .with("qr.refresh.limit", "2").with("qr.refresh.cron", "0 0 0 1 1 ? 2099").start()) {
            for (String name : List.of("queue-a", "queue-b", "queue-c", "queue-d", "queue-e")) {
                sut.evolution().addInstance(name, "token-" + name, State.CONNECTING);
                sut.evolution().rotate(name);
                limited.db().insertInstance(name, "token-" + name, "connecting");
            }

            List<Set<String>> runs = new ArrayList<>();
            for (int run = 0; run < 5; run++) {
                List<InstanceResult> results = limited.refresh().getResults();
                assertThat(results).hasSize(2).allSatisfy(result -> assertThat(result.success()).isTrue());
                runs.add(results.stream().map(InstanceResult::instanceName).collect(Collectors.toSet()));
            }

            // 5 instances, 2 a run: none waits more than 3 runs
            for (int first = 0; first + 3 <= runs.size(); first++) {
                Set<String> window = new HashSet<>();
                runs.subList(first, first + 3).forEach(window::addAll);
                assertThat(window).as("runs %d to %d of %s", first + 1, first + 3, runs).hasSize(5);
            }
        }
    }
}
