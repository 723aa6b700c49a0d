package io.qrrefresher.routes;

import java.sql.Timestamp;
import java.util.Map;
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

/** The refresh of instances Evolution reports as connecting or open: what is stored, and when nothing is. */
@CamelMainTest(propertyPlaceholderLocations = {"file:target/route-tests/qr-refresh.properties", "file:application.properties"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QrRefreshRoutesTest {

    static final ScriptedEvolutionApi EVOLUTION = RoutesUnderTest.evolutionFor("qr-refresh", new Properties());
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
    void storesANewQrAndLeavesAnUnchangedOneAlone() {
        routes.connectingInstanceWithQr("shop");

        RefreshRun first = routes.refresh();

        assertThat(first.getRefreshed()).isEqualTo(1);
        Map<String, Object> row = routes.db().instance("shop");
        assertThat(row.get("qr_code")).isEqualTo(EVOLUTION.currentBase64("shop"));
        assertThat(row.get("instance_status")).isEqualTo("connecting");
        Timestamp firstUpdate = (Timestamp) row.get("last_qr_update");
        assertThat(firstUpdate).isNotNull();

        RefreshRun second = routes.refresh();

        assertThat(second.getRefreshed()).isZero();
        assertThat(second.getUnchanged()).isEqualTo(1);
        assertThat(routes.db().instance("shop").get("last_qr_update")).isEqualTo(firstUpdate);

        EVOLUTION.rotate("shop");
        RefreshRun third = routes.refresh();

        assertThat(third.getRefreshed()).isEqualTo(1);
        assertThat(routes.db().instance("shop").get("qr_code")).isEqualTo(EVOLUTION.currentBase64("shop"));
        assertThat((Timestamp) routes.db().instance("shop").get("last_qr_update")).isAfter(firstUpdate);
        assertThat(routes.db().state("shop").get("qr_count")).isEqualTo(2);
        assertThat(EVOLUTION.calls(EvolutionCall.CONNECT, "shop")).isEqualTo(3);
        assertThat(EVOLUTION.socketsOpened("shop")).isZero();
    }

    @Test
    void countZeroIsNoQrYetNotAFailure() {
        routes.instance("fresh", State.CONNECTING);

        RefreshRun run = routes.refresh();

        assertThat(run.getFailed()).isZero();
        assertThat(run.getUnchanged()).isEqualTo(1);
        assertThat(run.getResults()).singleElement().satisfies(result -> {
            assertThat(result.outcome()).isEqualTo("no_qr_yet");
            assertThat(result.success()).isTrue();
            assertThat(result.qrUpdated()).isFalse();
        });
        assertThat(routes.db().instance("fresh").get("qr_code")).isNull();
        assertThat(routes.db().instance("fresh").get("last_qr_update")).isNull();
    }

    @Test
    void aPairedInstanceIsMarkedOpenAndNoLongerRefreshed() {
        routes.connectingInstanceWithQr("paired");
        routes.refresh();
        EVOLUTION.pair("paired");

        RefreshRun run = routes.refresh();

        assertThat(run.getOpened()).isEqualTo(1);
        Map<String, Object> row = routes.db().instance("paired");
        assertThat(row.get("instance_status")).isEqualTo("open");
        assertThat(row.get("qr_code")).isNull();
        EVOLUTION.resetCalls();
        assertThat(routes.refresh().getTotal()).isZero();
        assertThat(EVOLUTION.totalCalls()).isZero();
    }
}
