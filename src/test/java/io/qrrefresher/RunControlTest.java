package io.qrrefresher;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Runs never overlap, concurrency stays bounded, and the application's own changes are never overwritten. */
class RunControlTest {

    static ScriptedEvolutionApi evolution;
    static RunningService service;

    @BeforeAll
    static void start() throws Exception {
        evolution = ScriptedEvolutionApi.start();
        service = RunningService.against(evolution).with("qr.refresh.concurrency", "4").start();
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        evolution.close();
    }

    @AfterEach
    void clean() {
        evolution.clearFaults();
        service.db().update("DELETE FROM evolution_instances");
    }

    @Test
    void aRowTheApplicationChangesDuringTheCallIsLeftAlone() {
        evolution.addInstance("racing", "token-racing", State.CONNECTING);
        evolution.rotate("racing");
        service.db().insertInstance("racing", "token-racing", "connecting");
        // the user pairs in the app while the refresher is reading the QR
        evolution.duringCall("racing", EvolutionCall.CONNECT, () -> service.db().update(
                "UPDATE evolution_instances SET instance_status = 'open', qr_code = 'kept by the app'"
                        + " WHERE instance_name = 'racing'"));

        RefreshRun run = service.refresh();

        assertThat(run.getResults()).singleElement()
                .satisfies(result -> assertThat(result.outcome()).isEqualTo("left_alone"));
        Map<String, Object> row = service.db().instance("racing");
        assertThat(row.get("instance_status")).isEqualTo("open");
        assertThat(row.get("qr_code")).isEqualTo("kept by the app");
        assertThat(row.get("last_qr_update")).isNull();
    }

    @Test
    void aHostileInstanceNameIsJustAName() {
        String name = "x'); drop table evolution_instances; --";
        String placeholder = "{{admin.token}}/../a b";
        evolution.addInstance(name, "token-hostile", State.CONNECTING);
        evolution.rotate(name);
        evolution.addInstance(placeholder, "token-placeholder", State.CONNECTING);
        evolution.rotate(placeholder);
        service.db().insertInstance(name, "token-hostile", "connecting");
        service.db().insertInstance(placeholder, "token-placeholder", "connecting");

        RefreshRun run = service.refresh();

        assertThat(run.getRefreshed()).isEqualTo(2);
        assertThat(service.db().instance(name).get("qr_code")).isEqualTo(evolution.currentBase64(name));
        assertThat(service.db().instance(placeholder).get("qr_code")).isEqualTo(evolution.currentBase64(placeholder));
        assertThat(evolution.calls(EvolutionCall.CONNECT, name)).isEqualTo(1);
        assertThat(evolution.calls(EvolutionCall.CONNECT, placeholder)).isEqualTo(1);
        assertThat(service.db().queryOne("SELECT count(*) AS n FROM evolution_instances").get("n")).isEqualTo(2L);
    }

    @Test
    void concurrencyIsBoundedAndEveryInstanceIsRefreshed() {
        for (int i = 0; i < 24; i++) {
            String name = "fleet-" + i;
            evolution.addInstance(name, "token-" + i, State.CONNECTING);
            evolution.rotate(name);
            evolution.delay(name, Duration.ofMillis(100));
            service.db().insertInstance(name, "token-" + i, "connecting");
        }

        RefreshRun run = service.refresh();

        assertThat(run.getRefreshed()).isEqualTo(24);
        assertThat(evolution.maxInFlight()).isBetween(2, 4);
    }

    @Test
    void aManualRunDuringARunIsRefusedWith409() throws Exception {
        evolution.addInstance("slow", "token-slow", State.CONNECTING);
        evolution.rotate("slow");
        evolution.delay("slow", Duration.ofMillis(1500));
        service.db().insertInstance("slow", "token-slow", "connecting");

        CompletableFuture<RefreshRun> first = CompletableFuture.supplyAsync(() -> service.refresh());
        await().until(() -> evolution.calls(EvolutionCall.CONNECTION_STATE, "slow") == 1);
        HttpResponse<String> second = service.post("/refresh-qr-codes", RunningService.ADMIN_TOKEN);

        assertThat(second.statusCode()).isEqualTo(409);
        assertThat(second.body()).contains("\"error\":\"run_in_progress\"");
        assertThat(first.get().getRefreshed()).isEqualTo(1);
        assertThat(evolution.calls(EvolutionCall.CONNECTION_STATE, "slow")).isEqualTo(1);
    }

    @Test
    void scheduledTicksThatFallDuringARunAreSkipped() throws Exception {
        evolution.addInstance("tick", "token-tick", State.CONNECTING);
        evolution.rotate("tick");
        evolution.delay("tick", Duration.ofMillis(1200));
        try (RunningService scheduled = RunningService.against(evolution)
                .with("qr.refresh.cron", "* * * * * ?").start()) {
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
            assertThat(evolution.maxInFlight()).isEqualTo(1);
            assertThat(runs).allSatisfy(run -> assertThat(run.get("ended_at")).isNotNull());
        }
    }
}
