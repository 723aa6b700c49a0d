package io.qrrefresher.routes;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import io.qrrefresher.ServiceLifecycle;
import io.qrrefresher.demo.EvolutionSimulator.Reply;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.refresh.InstanceResult;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.Fixtures;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Route test of call-evolution-api and save-refresh-outcome: every bad answer of Evolution API gets a clear error, is
 * recorded against the instance, and changes nothing in the application's row: the QR stored before stays.
 * The configurations that make every call fail (no key, an unreachable URL) are process tests: EvolutionFailuresTest.
 */
@CamelMainTest(propertyPlaceholderLocations = {"file:target/route-tests/evolution-failures.properties",
        "file:application.properties"})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EvolutionFailuresRoutesTest {

    static final ScriptedEvolutionApi EVOLUTION;
    static final ServiceLifecycle LIFECYCLE = new ServiceLifecycle();

    static {
        Properties properties = new Properties();
        // every failure here is the instance's: the breaker stays closed
        properties.setProperty("evolution.circuit.minimum-calls", "1000");
        properties.setProperty("evolution.circuit.window-size", "1000");
        properties.setProperty("evolution.timeout-ms", "1000");
        EVOLUTION = RoutesUnderTest.evolutionFor("evolution-failures", properties);
    }

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

    static Stream<Arguments> badAnswers() {
        byte[] twentyMegabytes = new byte[20 * 1024 * 1024];
        Arrays.fill(twentyMegabytes, (byte) 'x');
        return Stream.of(
                arguments("404 instance does not exist", EvolutionCall.CONNECTION_STATE,
                        Fixtures.reply(404, "not-found.json"), "instance does not exist in Evolution API"),
                arguments("404 unknown route", EvolutionCall.CONNECTION_STATE,
                        Fixtures.reply(404, "route-not-found.json"), "check EVOLUTION_API_BASE_URL"),
                arguments("401 refused apikey", EvolutionCall.CONNECT,
                        Fixtures.reply(401, "unauthorized.json"), "refused the apikey (HTTP 401)"),
                arguments("200 with error true", EvolutionCall.CONNECT,
                        Fixtures.reply(200, "connect-error-200.json"), "HTTP 200 with {\"error\":true}: [object Object]"),
                arguments("200 with an empty body (v1)", EvolutionCall.CONNECT,
                        new Reply(200, "application/json", new byte[0]), "HTTP 200 with an empty body"),
                arguments("200 with an HTML page", EvolutionCall.CONNECT,
                        new Reply(200, "text/html", "<html><body>Bad gateway</body></html>"
                                .getBytes(StandardCharsets.UTF_8)), "not a JSON object (text/html): <html>"),
                arguments("200 with an unknown JSON shape", EvolutionCall.CONNECTION_STATE,
                        new Reply(200, "application/json", "{\"ok\":1}".getBytes(StandardCharsets.UTF_8)),
                        "unrecognised JSON shape, keys [ok]"),
                arguments("a QR body where a state is expected", EvolutionCall.CONNECTION_STATE,
                        Fixtures.reply(200, "connect-qr.json"), "instead of a state"),
                arguments("500 internal error", EvolutionCall.CONNECT,
                        Fixtures.reply(500, "internal-error.json"), "Evolution API unavailable: Evolution API answered HTTP 500"),
                arguments("503 license required (2.4.0-rc)", EvolutionCall.CONNECTION_STATE,
                        Fixtures.reply(503, "license-required-503.json"), "not activated (HTTP 503 LICENSE_REQUIRED)"),
                arguments("a 20 MB body", EvolutionCall.CONNECT,
                        new Reply(200, "application/json", twentyMegabytes), "body larger than 1048576 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badAnswers")
    void aBadAnswerIsAClearFailureAndLosesNothing(String label, EvolutionCall call, Reply reply, String error) {
        String qrBefore = givenAnInstanceWithAStoredQr("victim");
        EVOLUTION.fault("victim", call, reply);

        RefreshRun run = routes.refresh();

        assertThat(run.getFailed()).isEqualTo(1);
        InstanceResult result = run.getResults().get(0);
        assertThat(result.success()).isFalse();
        assertThat(result.qrUpdated()).isFalse();
        assertThat(result.error()).contains(error);
        Map<String, Object> row = routes.db().instance("victim");
        assertThat(row.get("instance_status")).isEqualTo("connecting");
        assertThat(row.get("qr_code")).isEqualTo(qrBefore);
        Map<String, Object> state = routes.db().state("victim");
        assertThat(state.get("consecutive_failures")).isEqualTo(1);
        assertThat((String) state.get("last_error")).contains(error);
        assertThat(EVOLUTION.socketsOpened("victim")).isZero();
    }

    @Test
    void aTimeoutIsAFailureBoundedByTheConfiguredTimeout() {
        String qrBefore = givenAnInstanceWithAStoredQr("slow");
        EVOLUTION.delay("slow", Duration.ofSeconds(4));

        RefreshRun run = routes.refresh();

        assertThat(run.getFailed()).isEqualTo(1);
        assertThat(run.getResults().get(0).error()).contains("timed out");
        assertThat(routes.db().instance("slow").get("qr_code")).isEqualTo(qrBefore);
    }

    @Test
    void failuresInARowAreCountedAndClearedBySuccess() {
        givenAnInstanceWithAStoredQr("flaky");
        EVOLUTION.fault("flaky", EvolutionCall.CONNECT, Fixtures.reply(200, "connect-error-200.json"));
        routes.refresh();
        routes.refresh();
        assertThat(routes.db().state("flaky").get("consecutive_failures")).isEqualTo(2);

        EVOLUTION.clearFaults();
        assertThat(routes.refresh().getFailed()).isZero();
        Map<String, Object> state = routes.db().state("flaky");
        assertThat(state.get("consecutive_failures")).isEqualTo(0);
        assertThat(state.get("last_error")).isNull();
    }

    @Test
    void theGlobalKeyIsUsedWhenTheRowHasNoToken() {
        EVOLUTION.addInstance("global", "token-g", State.CONNECTING);
        EVOLUTION.rotate("global");
        routes.db().insertInstance("global", null, "connecting");

        assertThat(routes.refresh().getRefreshed()).isEqualTo(1);
    }

    private String givenAnInstanceWithAStoredQr(String name) {
        routes.connectingInstanceWithQr(name);
        assertThat(routes.refresh().getRefreshed()).isEqualTo(1);
        EVOLUTION.rotate(name);
        return (String) routes.db().instance(name).get("qr_code");
    }
}
