package io.qrrefresher;

import java.sql.Timestamp;
import java.util.Map;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.ServiceUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/** The refresh of instances Evolution reports as connecting or open: what is stored, and when nothing is. */
class QrRefreshTest {

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create();

    @Test
    void storesANewQrAndLeavesAnUnchangedOneAlone() {
        sut.connectingInstanceWithQr("shop");

        RefreshRun first = sut.service().refresh();

        assertThat(first.getRefreshed()).isEqualTo(1);
        Map<String, Object> row = sut.db().instance("shop");
        assertThat(row.get("qr_code")).isEqualTo(sut.evolution().currentBase64("shop"));
        assertThat(row.get("instance_status")).isEqualTo("connecting");
        Timestamp firstUpdate = (Timestamp) row.get("last_qr_update");
        assertThat(firstUpdate).isNotNull();

        RefreshRun second = sut.service().refresh();

        assertThat(second.getRefreshed()).isZero();
        assertThat(second.getUnchanged()).isEqualTo(1);
        assertThat(sut.db().instance("shop").get("last_qr_update")).isEqualTo(firstUpdate);

        sut.evolution().rotate("shop");
        RefreshRun third = sut.service().refresh();

        assertThat(third.getRefreshed()).isEqualTo(1);
        assertThat(sut.db().instance("shop").get("qr_code")).isEqualTo(sut.evolution().currentBase64("shop"));
        assertThat((Timestamp) sut.db().instance("shop").get("last_qr_update")).isAfter(firstUpdate);
        assertThat(sut.db().state("shop").get("qr_count")).isEqualTo(2);
        assertThat(sut.evolution().calls(EvolutionCall.CONNECT, "shop")).isEqualTo(3);
        assertThat(sut.evolution().socketsOpened("shop")).isZero();
    }

    @Test
    void countZeroIsNoQrYetNotAFailure() {
        sut.instance("fresh", State.CONNECTING);

        RefreshRun run = sut.service().refresh();

        assertThat(run.getFailed()).isZero();
        assertThat(run.getUnchanged()).isEqualTo(1);
        assertThat(run.getResults()).singleElement().satisfies(result -> {
            assertThat(result.outcome()).isEqualTo("no_qr_yet");
            assertThat(result.success()).isTrue();
            assertThat(result.qrUpdated()).isFalse();
        });
        assertThat(sut.db().instance("fresh").get("qr_code")).isNull();
        assertThat(sut.db().instance("fresh").get("last_qr_update")).isNull();
    }

    @Test
    void aPairedInstanceIsMarkedOpenAndNoLongerRefreshed() {
        sut.connectingInstanceWithQr("paired");
        sut.service().refresh();
        sut.evolution().pair("paired");

        RefreshRun run = sut.service().refresh();

        assertThat(run.getOpened()).isEqualTo(1);
        Map<String, Object> row = sut.db().instance("paired");
        assertThat(row.get("instance_status")).isEqualTo("open");
        assertThat(row.get("qr_code")).isNull();
        sut.evolution().resetCalls();
        assertThat(sut.service().refresh().getTotal()).isZero();
        assertThat(sut.evolution().totalCalls()).isZero();
    }
}
