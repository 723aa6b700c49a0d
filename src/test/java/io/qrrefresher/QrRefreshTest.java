package io.qrrefresher;

import java.sql.Timestamp;
import java.util.Map;

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

/** The refresh of instances Evolution reports as connecting or open: what is stored, and when nothing is. */
class QrRefreshTest {

    static ScriptedEvolutionApi evolution;
    static RunningService service;

    @BeforeAll
    static void start() throws Exception {
        evolution = ScriptedEvolutionApi.start();
        service = RunningService.against(evolution).start();
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
    void storesANewQrAndLeavesAnUnchangedOneAlone() {
        evolution.addInstance("shop", "token-shop", State.CONNECTING);
        evolution.rotate("shop");
        service.db().insertInstance("shop", "token-shop", "connecting");

        RefreshRun first = service.refresh();

        assertThat(first.getRefreshed()).isEqualTo(1);
        Map<String, Object> row = service.db().instance("shop");
        assertThat(row.get("qr_code")).isEqualTo(evolution.currentBase64("shop"));
        assertThat(row.get("instance_status")).isEqualTo("connecting");
        Timestamp firstUpdate = (Timestamp) row.get("last_qr_update");
        assertThat(firstUpdate).isNotNull();

        RefreshRun second = service.refresh();

        assertThat(second.getRefreshed()).isZero();
        assertThat(second.getUnchanged()).isEqualTo(1);
        assertThat(service.db().instance("shop").get("last_qr_update")).isEqualTo(firstUpdate);

        evolution.rotate("shop");
        RefreshRun third = service.refresh();

        assertThat(third.getRefreshed()).isEqualTo(1);
        assertThat(service.db().instance("shop").get("qr_code")).isEqualTo(evolution.currentBase64("shop"));
        assertThat((Timestamp) service.db().instance("shop").get("last_qr_update")).isAfter(firstUpdate);
        assertThat(service.db().state("shop").get("qr_count")).isEqualTo(2);
        assertThat(evolution.calls(EvolutionCall.CONNECT, "shop")).isEqualTo(3);
        assertThat(evolution.socketsOpened("shop")).isZero();
    }

    @Test
    void countZeroIsNoQrYetNotAFailure() {
        evolution.addInstance("fresh", "token-fresh", State.CONNECTING);
        service.db().insertInstance("fresh", "token-fresh", "connecting");

        RefreshRun run = service.refresh();

        assertThat(run.getFailed()).isZero();
        assertThat(run.getUnchanged()).isEqualTo(1);
        assertThat(run.getResults()).singleElement().satisfies(result -> {
            assertThat(result.outcome()).isEqualTo("no_qr_yet");
            assertThat(result.success()).isTrue();
            assertThat(result.qrUpdated()).isFalse();
        });
        assertThat(service.db().instance("fresh").get("qr_code")).isNull();
        assertThat(service.db().instance("fresh").get("last_qr_update")).isNull();
    }

    @Test
    void aPairedInstanceIsMarkedOpenAndNoLongerRefreshed() {
        evolution.addInstance("paired", "token-paired", State.CONNECTING);
        evolution.rotate("paired");
        service.db().insertInstance("paired", "token-paired", "connecting");
        service.refresh();
        evolution.pair("paired");

        RefreshRun run = service.refresh();

        assertThat(run.getOpened()).isEqualTo(1);
        Map<String, Object> row = service.db().instance("paired");
        assertThat(row.get("instance_status")).isEqualTo("open");
        assertThat(row.get("qr_code")).isNull();
        evolution.resetCalls();
        assertThat(service.refresh().getTotal()).isZero();
        assertThat(evolution.totalCalls()).isZero();
    }
}
