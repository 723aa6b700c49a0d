package io.qrrefresher.routes;

import java.util.Properties;

import io.qrrefresher.ServiceLifecycle;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.apache.camel.test.main.junit5.Configure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Instances Evolution reports as closed: {@code connect} there opens a new WhatsApp socket, so the refresher sends it
 * at most once per explicit request (a row inserted in, or moved back into, connecting) and otherwise only confirms
 * the close on a second read and tells the application.
 */
@CamelMainTest(propertyPlaceholderLocations = {"file:target/route-tests/closed-instance.properties", "file:application.properties"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClosedInstanceRoutesTest {

    static final ScriptedEvolutionApi EVOLUTION = RoutesUnderTest.evolutionFor("closed-instance", new Properties());
    static final ServiceLifecycle LIFECYCLE = new ServiceLifecycle();

    @BeanInject
    CamelContext context;
    RoutesUnderTest routes;

    @Configure
    protected void configure(MainConfigurationProperties configuration) {
        RouteTestSupport.configure(configuration, LIFECYCLE);
    }

    @BeforeEach
    void routes() {
        routes = new RoutesUnderTest(context, EVOLUTION);
    }

    @AfterEach
    void empty() {
        routes.empty();
    }

    @AfterAll
    void stop() {
        LIFECYCLE.close();
        EVOLUTION.close();
    }

    @Test
    void aNewRowOfAClosedInstanceGetsExactlyOneConnectThenItsQr() {
        EVOLUTION.addInstance("reopened", "token-r", State.CLOSE);
        routes.db().insertInstance("reopened", "token-r", "connecting");

        RefreshRun first = routes.refresh();

        assertThat(EVOLUTION.socketsOpened("reopened")).isEqualTo(1);
        assertThat(first.getFailed()).isZero();
        assertThat(first.getResults()).singleElement()
                .satisfies(result -> assertThat(result.outcome()).isEqualTo("no_qr_yet"));

        EVOLUTION.rotate("reopened");
        RefreshRun second = routes.refresh();

        assertThat(second.getRefreshed()).isEqualTo(1);
        assertThat(routes.db().instance("reopened").get("qr_code")).isEqualTo(EVOLUTION.currentBase64("reopened"));
        assertThat(EVOLUTION.socketsOpened("reopened")).isEqualTo(1);
    }

    @Test
    void aClosedInstanceIsNeverReconnectedByThePeriodicRefreshAndIsClosedAfterTwoReads() {
        EVOLUTION.addInstance("abandoned", "token-a", State.CLOSE);
        routes.db().insertInstance("abandoned", "token-a", "connecting");
        routes.refresh();
        assertThat(EVOLUTION.socketsOpened("abandoned")).isEqualTo(1);
        // the new socket gave up (QR limit, nobody scanned): Evolution says close again
        EVOLUTION.setState("abandoned", State.CLOSE);

        for (int run = 0; run < 3; run++) {
            RefreshRun refresh = routes.refresh();
            assertThat(refresh.getResults()).singleElement()
                    .satisfies(result -> assertThat(result.outcome()).isEqualTo("close_pending"));
        }
        assertThat(EVOLUTION.socketsOpened("abandoned")).isEqualTo(1);
        assertThat(EVOLUTION.calls(EvolutionCall.CONNECT, "abandoned")).isEqualTo(1);
        assertThat(routes.db().instance("abandoned").get("instance_status")).isEqualTo("connecting");

        // the first close read is now older than QR_CLOSE_CONFIRM_AFTER (10 s)
        routes.db().update("UPDATE qr_refresher.instance_state SET close_seen_at = now() - interval '11 seconds'");
        RefreshRun confirming = routes.refresh();

        assertThat(confirming.getClosed()).isEqualTo(1);
        assertThat(routes.db().instance("abandoned").get("instance_status")).isEqualTo("close");
        assertThat(routes.db().instance("abandoned").get("qr_code")).isNull();
        assertThat(EVOLUTION.socketsOpened("abandoned")).isEqualTo(1);
    }

    @Test
    void theApplicationAskingAgainRearmsOneConnectAndAnExpiredQrIsNotStored() {
        routes.connectingInstanceWithQr("retry");
        routes.refresh();
        String storedQr = (String) routes.db().instance("retry").get("qr_code");
        assertThat(storedQr).isNotNull();

        // nobody scanned: Evolution closed it, the refresher confirmed the close, the front end offered "try again"
        EVOLUTION.setState("retry", State.CLOSE);
        routes.refresh();
        routes.db().update("UPDATE qr_refresher.instance_state SET close_seen_at = now() - interval '1 minute'");
        assertThat(routes.refresh().getClosed()).isEqualTo(1);

        // the user clicks "try again": the application moves the row back to connecting
        routes.db().update("UPDATE evolution_instances SET instance_status = 'connecting' WHERE instance_name = 'retry'");
        RefreshRun rearmed = routes.refresh();

        assertThat(EVOLUTION.socketsOpened("retry")).isEqualTo(1);
        // Evolution answers the connect with its cached, expired QR: it must not come back on screen
        assertThat(rearmed.getRefreshed()).isZero();
        assertThat(routes.db().instance("retry").get("qr_code")).isNull();

        // the new socket delivers a new QR
        EVOLUTION.rotate("retry");
        assertThat(routes.refresh().getRefreshed()).isEqualTo(1);
        assertThat(routes.db().instance("retry").get("qr_code")).isEqualTo(EVOLUTION.currentBase64("retry"));

        // and a later close is again never reconnected
        EVOLUTION.setState("retry", State.CLOSE);
        routes.refresh();
        routes.refresh();
        assertThat(EVOLUTION.socketsOpened("retry")).isEqualTo(1);
    }

    @Test
    void aTransientCloseIsForgottenWhenTheNextReadSaysConnecting() {
        routes.connectingInstanceWithQr("blip");
        routes.refresh();

        EVOLUTION.setState("blip", State.CLOSE);
        routes.refresh();
        assertThat(routes.db().state("blip").get("close_seen_at")).isNotNull();

        EVOLUTION.setState("blip", State.CONNECTING);
        routes.refresh();
        assertThat(routes.db().state("blip").get("close_seen_at")).isNull();

        // a new close starts a new wait: one read is not enough, whatever happened before
        EVOLUTION.setState("blip", State.CLOSE);
        routes.db().update("UPDATE qr_refresher.instance_state SET close_seen_at = now() - interval '1 minute'"
                + " WHERE close_seen_at IS NOT NULL");
        assertThat(routes.refresh().getClosed()).isZero();
        assertThat(routes.db().instance("blip").get("instance_status")).isEqualTo("connecting");
    }

    @Test
    void anInstanceNotLoadedInEvolutionIsAFailureWithoutConnect() {
        EVOLUTION.addInstance("loading", "token-l", State.NOT_LOADED);
        routes.db().insertInstance("loading", "token-l", "connecting");

        RefreshRun run = routes.refresh();

        assertThat(run.getFailed()).isEqualTo(1);
        assertThat(run.getResults().get(0).error()).contains("not loaded");
        assertThat(EVOLUTION.calls(EvolutionCall.CONNECT, "loading")).isZero();
        assertThat(routes.db().state("loading").get("consecutive_failures")).isEqualTo(1);
    }
}
