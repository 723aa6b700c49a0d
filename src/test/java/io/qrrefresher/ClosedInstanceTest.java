package io.qrrefresher;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.ServiceUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Instances Evolution reports as closed: {@code connect} there opens a new WhatsApp socket, so the refresher sends it
 * at most once per explicit request (a row inserted in, or moved back into, connecting) and otherwise only confirms
 * the close on a second read and tells the application.
 */
class ClosedInstanceTest {

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create();

    @Test
    void aNewRowOfAClosedInstanceGetsExactlyOneConnectThenItsQr() {
        sut.evolution().addInstance("reopened", "token-r", State.CLOSE);
        sut.db().insertInstance("reopened", "token-r", "connecting");

        RefreshRun first = sut.service().refresh();

        assertThat(sut.evolution().socketsOpened("reopened")).isEqualTo(1);
        assertThat(first.getFailed()).isZero();
        assertThat(first.getResults()).singleElement()
                .satisfies(result -> assertThat(result.outcome()).isEqualTo("no_qr_yet"));

        sut.evolution().rotate("reopened");
        RefreshRun second = sut.service().refresh();

        assertThat(second.getRefreshed()).isEqualTo(1);
        assertThat(sut.db().instance("reopened").get("qr_code")).isEqualTo(sut.evolution().currentBase64("reopened"));
        assertThat(sut.evolution().socketsOpened("reopened")).isEqualTo(1);
    }

    @Test
    void aClosedInstanceIsNeverReconnectedByThePeriodicRefreshAndIsClosedAfterTwoReads() {
        sut.evolution().addInstance("abandoned", "token-a", State.CLOSE);
        sut.db().insertInstance("abandoned", "token-a", "connecting");
        sut.service().refresh();
        assertThat(sut.evolution().socketsOpened("abandoned")).isEqualTo(1);
        // the new socket gave up (QR limit, nobody scanned): Evolution says close again
        sut.evolution().setState("abandoned", State.CLOSE);

        for (int run = 0; run < 3; run++) {
            RefreshRun refresh = sut.service().refresh();
            assertThat(refresh.getResults()).singleElement()
                    .satisfies(result -> assertThat(result.outcome()).isEqualTo("close_pending"));
        }
        assertThat(sut.evolution().socketsOpened("abandoned")).isEqualTo(1);
        assertThat(sut.evolution().calls(EvolutionCall.CONNECT, "abandoned")).isEqualTo(1);
        assertThat(sut.db().instance("abandoned").get("instance_status")).isEqualTo("connecting");

        // the first close read is now older than QR_CLOSE_CONFIRM_AFTER (10 s)
        sut.db().update("UPDATE qr_refresher.instance_state SET close_seen_at = now() - interval '11 seconds'");
        RefreshRun confirming = sut.service().refresh();

        assertThat(confirming.getClosed()).isEqualTo(1);
        assertThat(sut.db().instance("abandoned").get("instance_status")).isEqualTo("close");
        assertThat(sut.db().instance("abandoned").get("qr_code")).isNull();
        assertThat(sut.evolution().socketsOpened("abandoned")).isEqualTo(1);
    }

    @Test
    void theApplicationAskingAgainRearmsOneConnectAndAnExpiredQrIsNotStored() {
        sut.connectingInstanceWithQr("retry");
        sut.service().refresh();
        String storedQr = (String) sut.db().instance("retry").get("qr_code");
        assertThat(storedQr).isNotNull();

        // nobody scanned: Evolution closed it, the refresher confirmed the close, the front end offered "try again"
        sut.evolution().setState("retry", State.CLOSE);
        sut.service().refresh();
        sut.db().update("UPDATE qr_refresher.instance_state SET close_seen_at = now() - interval '1 minute'");
        assertThat(sut.service().refresh().getClosed()).isEqualTo(1);

        // the user clicks "try again": the application moves the row back to connecting
        sut.db().update("UPDATE evolution_instances SET instance_status = 'connecting' WHERE instance_name = 'retry'");
        RefreshRun rearmed = sut.service().refresh();

        assertThat(sut.evolution().socketsOpened("retry")).isEqualTo(1);
        // Evolution answers the connect with its cached, expired QR: it must not come back on screen
        assertThat(rearmed.getRefreshed()).isZero();
        assertThat(sut.db().instance("retry").get("qr_code")).isNull();

        // the new socket delivers a new QR
        sut.evolution().rotate("retry");
        assertThat(sut.service().refresh().getRefreshed()).isEqualTo(1);
        assertThat(sut.db().instance("retry").get("qr_code")).isEqualTo(sut.evolution().currentBase64("retry"));

        // and a later close is again never reconnected
        sut.evolution().setState("retry", State.CLOSE);
        sut.service().refresh();
        sut.service().refresh();
        assertThat(sut.evolution().socketsOpened("retry")).isEqualTo(1);
    }

    @Test
    void aTransientCloseIsForgottenWhenTheNextReadSaysConnecting() {
        sut.connectingInstanceWithQr("blip");
        sut.service().refresh();

        sut.evolution().setState("blip", State.CLOSE);
        sut.service().refresh();
        assertThat(sut.db().state("blip").get("close_seen_at")).isNotNull();

        sut.evolution().setState("blip", State.CONNECTING);
        sut.service().refresh();
        assertThat(sut.db().state("blip").get("close_seen_at")).isNull();

        // a new close starts a new wait: one read is not enough, whatever happened before
        sut.evolution().setState("blip", State.CLOSE);
        sut.db().update("UPDATE qr_refresher.instance_state SET close_seen_at = now() - interval '1 minute'"
                + " WHERE close_seen_at IS NOT NULL");
        assertThat(sut.service().refresh().getClosed()).isZero();
        assertThat(sut.db().instance("blip").get("instance_status")).isEqualTo("connecting");
    }

    @Test
    void anInstanceNotLoadedInEvolutionIsAFailureWithoutConnect() {
        sut.evolution().addInstance("loading", "token-l", State.NOT_LOADED);
        sut.db().insertInstance("loading", "token-l", "connecting");

        RefreshRun run = sut.service().refresh();

        assertThat(run.getFailed()).isEqualTo(1);
        assertThat(run.getResults().get(0).error()).contains("not loaded");
        assertThat(sut.evolution().calls(EvolutionCall.CONNECT, "loading")).isZero();
        assertThat(sut.db().state("loading").get("consecutive_failures")).isEqualTo(1);
    }
}
