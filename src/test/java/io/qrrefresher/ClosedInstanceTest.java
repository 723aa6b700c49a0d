package io.qrrefresher;

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

/**
 * Instances Evolution reports as closed: {@code connect} there opens a new WhatsApp socket, so the refresher sends it
 * at most once per explicit request (a row inserted in, or moved back into, connecting) and otherwise only confirms
 * the close on a second read and tells the application.
 */
class ClosedInstanceTest {

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
    void aNewRowOfAClosedInstanceGetsExactlyOneConnectThenItsQr() {
        evolution.addInstance("reopened", "token-r", State.CLOSE);
        service.db().insertInstance("reopened", "token-r", "connecting");

        RefreshRun first = service.refresh();

        assertThat(evolution.socketsOpened("reopened")).isEqualTo(1);
        assertThat(first.getFailed()).isZero();
        assertThat(first.getResults()).singleElement()
                .satisfies(result -> assertThat(result.outcome()).isEqualTo("no_qr_yet"));

        evolution.rotate("reopened");
        RefreshRun second = service.refresh();

        assertThat(second.getRefreshed()).isEqualTo(1);
        assertThat(service.db().instance("reopened").get("qr_code")).isEqualTo(evolution.currentBase64("reopened"));
        assertThat(evolution.socketsOpened("reopened")).isEqualTo(1);
    }

    @Test
    void aClosedInstanceIsNeverReconnectedByThePeriodicRefreshAndIsClosedAfterTwoReads() {
        evolution.addInstance("abandoned", "token-a", State.CLOSE);
        service.db().insertInstance("abandoned", "token-a", "connecting");
        service.refresh();
        assertThat(evolution.socketsOpened("abandoned")).isEqualTo(1);
        // the new socket gave up (QR limit, nobody scanned): Evolution says close again
        evolution.setState("abandoned", State.CLOSE);

        for (int run = 0; run < 3; run++) {
            RefreshRun refresh = service.refresh();
            assertThat(refresh.getResults()).singleElement()
                    .satisfies(result -> assertThat(result.outcome()).isEqualTo("close_pending"));
        }
        assertThat(evolution.socketsOpened("abandoned")).isEqualTo(1);
        assertThat(evolution.calls(EvolutionCall.CONNECT, "abandoned")).isEqualTo(1);
        assertThat(service.db().instance("abandoned").get("instance_status")).isEqualTo("connecting");

        // the first close read is now older than QR_CLOSE_CONFIRM_AFTER (10 s)
        service.db().update("UPDATE qr_refresher.instance_state SET close_seen_at = now() - interval '11 seconds'");
        RefreshRun confirming = service.refresh();

        assertThat(confirming.getClosed()).isEqualTo(1);
        assertThat(service.db().instance("abandoned").get("instance_status")).isEqualTo("close");
        assertThat(service.db().instance("abandoned").get("qr_code")).isNull();
        assertThat(evolution.socketsOpened("abandoned")).isEqualTo(1);
    }

    @Test
    void theApplicationAskingAgainRearmsOneConnectAndAnExpiredQrIsNotStored() {
        evolution.addInstance("retry", "token-retry", State.CONNECTING);
        evolution.rotate("retry");
        service.db().insertInstance("retry", "token-retry", "connecting");
        service.refresh();
        String storedQr = (String) service.db().instance("retry").get("qr_code");
        assertThat(storedQr).isNotNull();

        // nobody scanned: Evolution closed it, the refresher confirmed the close, the front end offered "try again"
        evolution.setState("retry", State.CLOSE);
        service.refresh();
        service.db().update("UPDATE qr_refresher.instance_state SET close_seen_at = now() - interval '1 minute'");
        assertThat(service.refresh().getClosed()).isEqualTo(1);

        // the user clicks "try again": the application moves the row back to connecting
        service.db().update("UPDATE evolution_instances SET instance_status = 'connecting' WHERE instance_name = 'retry'");
        RefreshRun rearmed = service.refresh();

        assertThat(evolution.socketsOpened("retry")).isEqualTo(1);
        // Evolution answers the connect with its cached, expired QR: it must not come back on screen
        assertThat(rearmed.getRefreshed()).isZero();
        assertThat(service.db().instance("retry").get("qr_code")).isNull();

        // the new socket delivers a new QR
        evolution.rotate("retry");
        assertThat(service.refresh().getRefreshed()).isEqualTo(1);
        assertThat(service.db().instance("retry").get("qr_code")).isEqualTo(evolution.currentBase64("retry"));

        // and a later close is again never reconnected
        evolution.setState("retry", State.CLOSE);
        service.refresh();
        service.refresh();
        assertThat(evolution.socketsOpened("retry")).isEqualTo(1);
    }

    @Test
    void aTransientCloseIsForgottenWhenTheNextReadSaysConnecting() {
        evolution.addInstance("blip", "token-blip", State.CONNECTING);
        evolution.rotate("blip");
        service.db().insertInstance("blip", "token-blip", "connecting");
        service.refresh();

        evolution.setState("blip", State.CLOSE);
        service.refresh();
        assertThat(service.db().state("blip").get("close_seen_at")).isNotNull();

        evolution.setState("blip", State.CONNECTING);
        service.refresh();
        assertThat(service.db().state("blip").get("close_seen_at")).isNull();

        // a new close starts a new wait: one read is not enough, whatever happened before
        evolution.setState("blip", State.CLOSE);
        service.db().update("UPDATE qr_refresher.instance_state SET close_seen_at = now() - interval '1 minute'"
                + " WHERE close_seen_at IS NOT NULL");
        assertThat(service.refresh().getClosed()).isZero();
        assertThat(service.db().instance("blip").get("instance_status")).isEqualTo("connecting");
    }

    @Test
    void anInstanceNotLoadedInEvolutionIsAFailureWithoutConnect() {
        evolution.addInstance("loading", "token-l", State.NOT_LOADED);
        service.db().insertInstance("loading", "token-l", "connecting");

        RefreshRun run = service.refresh();

        assertThat(run.getFailed()).isEqualTo(1);
        assertThat(run.getResults().get(0).error()).contains("not loaded");
        assertThat(evolution.calls(EvolutionCall.CONNECT, "loading")).isZero();
        assertThat(service.db().state("loading").get("consecutive_failures")).isEqualTo(1);
    }
}
