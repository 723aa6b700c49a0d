package io.qrrefresher.routes;

import java.util.List;
import java.util.Properties;

import io.qrrefresher.ServiceLifecycle;
import io.qrrefresher.db.Database;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.refresh.RefreshRuns;
import io.qrrefresher.support.Db;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.AdviceWith;
import org.apache.camel.component.mock.MockEndpoint;
import org.apache.camel.main.MainConfigurationProperties;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.apache.camel.test.main.junit5.Configure;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Route test of routes/refresh-qr-codes.yaml with Camel's test tooling: the routes and beans of the service, a real
 * database and a real HTTP Evolution API on loopback; an advice puts a mock endpoint in front of the HTTP call of
 * call-evolution-default (the route of the default Evolution server), so the test sees every call the routes make.
 * Copy it to test a route you change.
 */
@CamelMainTest(
        propertyPlaceholderLocations = {"file:target/route-tests/refresh-routes.properties", "file:application.properties"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RefreshRoutesTest {

    static final ScriptedEvolutionApi EVOLUTION = start();
    static final ServiceLifecycle LIFECYCLE = new ServiceLifecycle();

    static {
        Properties properties = new Properties();
        properties.setProperty("evolution.api.base-url", EVOLUTION.baseUrl().toString());
        properties.setProperty("evolution.api-key", ScriptedEvolutionApi.GLOBAL_KEY);
        RouteTestSupport.writeProperties("refresh-routes", properties);
    }

    @BeanInject
    CamelContext context;
    ProducerTemplate template;
    Db db;

    @Configure
    protected void configure(MainConfigurationProperties configuration) {
        RouteTestSupport.configure(configuration, LIFECYCLE);
    }

    private boolean advised;

    /**
     * The route of the default Evolution server is made from its template when the context initialises, after
     * {@code @CamelMainTest}'s advices are applied: it is advised here, once, before the first test.
     */
    @BeforeEach
    void connectToTheDatabase() throws Exception {
        if (!advised) {
            // each Evolution API call, as it leaves for the HTTP endpoint (the path says which call)
            AdviceWith.adviceWith(context, "call-evolution-default",
                    advice -> advice.weaveById("default-http-call").before().to("mock:evolution-calls"));
            advised = true;
        }
        db = new Db(context.getRegistry().findSingleByType(Database.class).dataSource());
        template = context.createProducerTemplate();
        MockEndpoint.resetMocks(context);
    }

    @AfterAll
    void stop() {
        LIFECYCLE.close();
        EVOLUTION.close();
    }

    @Test
    void aConnectingInstanceIsReadThenConnectedAndItsQrStored() {
        EVOLUTION.addInstance("r-connecting", "token-r1", State.CONNECTING);
        EVOLUTION.rotate("r-connecting");
        db.insertInstance("r-connecting", "token-r1", "connecting");
        RefreshRun run = refresh();

        assertThat(callsFor("r-connecting")).containsExactly(
                "/instance/connectionState/r-connecting", "/instance/connect/r-connecting");
        assertThat(run.getResults()).filteredOn(result -> result.instanceName().equals("r-connecting"))
                .singleElement().satisfies(result -> assertThat(result.outcome()).isEqualTo("refreshed"));
        assertThat(db.instance("r-connecting").get("qr_code")).isEqualTo(EVOLUTION.currentBase64("r-connecting"));
    }

    @Test
    void aClosedInstanceGetsOneConnectPerRequestNeverMore() {
        // the application set the row to connecting (a request for a QR) while Evolution has the instance closed:
        // connect on a closed instance opens a new WhatsApp socket, so it is sent once for the request, then never
        EVOLUTION.addInstance("r-closed", "token-r2", State.CLOSE);
        db.insertInstance("r-closed", "token-r2", "connecting");

        refresh();
        EVOLUTION.setState("r-closed", State.CLOSE);
        refresh();

        assertThat(callsFor("r-closed")).containsExactly(
                "/instance/connectionState/r-closed", "/instance/connect/r-closed",
                "/instance/connectionState/r-closed");
        assertThat(EVOLUTION.socketsOpened("r-closed")).isEqualTo(1);
    }

    /** The paths of the calls the routes made for {@code instance}, in order. */
    private List<String> callsFor(String instance) {
        MockEndpoint calls = context.getEndpoint("mock:evolution-calls", MockEndpoint.class);
        return calls.getReceivedExchanges().stream()
                .map(call -> call.getMessage().getHeader(Exchange.HTTP_PATH, String.class))
                .filter(path -> path.endsWith("/" + instance))
                .toList();
    }

    private RefreshRun refresh() {
        Exchange exchange = template.send("direct:refresh-run",
                ex -> ex.setProperty("trigger", RefreshRun.MANUAL));
        return exchange.getProperty(RefreshRuns.RUN_PROPERTY, RefreshRun.class);
    }

    private static ScriptedEvolutionApi start() {
        try {
            return ScriptedEvolutionApi.start();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
