package io.qrrefresher;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Stream;

import io.qrrefresher.demo.EvolutionSimulator.Reply;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.refresh.InstanceResult;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.Fixtures;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ServiceUnderTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Every bad answer of Evolution API gets a clear error, is recorded against the instance, and changes nothing in the
 * application's row: the QR stored before stays.
 */
class EvolutionFailuresTest {

    @RegisterExtension
    static final ServiceUnderTest sut = ServiceUnderTest.create()
            .with("evolution.circuit.minimum-calls", "1000")
            .with("evolution.circuit.window-size", "1000")
            .with("evolution.timeout-ms", "1000");

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
                        Fixtures.reply(503, "license-required-503.json"), "HTTP 503: This Evolution API instance is not activated"),
                arguments("a 20 MB body", EvolutionCall.CONNECT,
                        new Reply(200, "application/json", twentyMegabytes), "body larger than 1048576 bytes"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badAnswers")
    void aBadAnswerIsAClearFailureAndLosesNothing(String label, EvolutionCall call, Reply reply, String error) {
        String qrBefore = givenAnInstanceWithAStoredQr("victim");
        sut.evolution().fault("victim", call, reply);

        RefreshRun run = sut.service().refresh();

        assertThat(run.getFailed()).isEqualTo(1);
        InstanceResult result = run.getResults().get(0);
        assertThat(result.success()).isFalse();
        assertThat(result.qrUpdated()).isFalse();
        assertThat(result.error()).contains(error);
        Map<String, Object> row = sut.db().instance("victim");
        assertThat(row.get("instance_status")).isEqualTo("connecting");
        assertThat(row.get("qr_code")).isEqualTo(qrBefore);
        Map<String, Object> state = sut.db().state("victim");
        assertThat(state.get("consecutive_failures")).isEqualTo(1);
        assertThat((String) state.get("last_error")).contains(error);
        assertThat(sut.evolution().socketsOpened("victim")).isZero();
    }

    @Test
    void aTimeoutIsAFailureBoundedByTheConfiguredTimeout() {
        String qrBefore = givenAnInstanceWithAStoredQr("slow");
        sut.evolution().delay("slow", Duration.ofSeconds(4));

        RefreshRun run = sut.service().refresh();

        assertThat(run.getFailed()).isEqualTo(1);
        assertThat(run.getResults().get(0).error()).contains("timed out");
        assertThat(sut.db().instance("slow").get("qr_code")).isEqualTo(qrBefore);
    }

    @Test
    void anUnreachableEvolutionApiIsAFailureNotACrash() throws Exception {
        try (RunningService unreachable = RunningService.against(sut.evolution())
                .with("evolution.api.base-url", "http://127.0.0.1:" + io.qrrefresher.support.FreePorts.next())
                .start()) {
            unreachable.db().insertInstance("island", "token", "connecting");

            RefreshRun run = unreachable.refresh();

            assertThat(run.getFailed()).isEqualTo(1);
            assertThat(run.getResults().get(0).error()).contains("Evolution API unavailable: connection refused");
        }
    }

    @Test
    void failuresInARowAreCountedAndClearedBySuccess() {
        givenAnInstanceWithAStoredQr("flaky");
        sut.evolution().fault("flaky", EvolutionCall.CONNECT, Fixtures.reply(200, "connect-error-200.json"));
        sut.service().refresh();
        sut.service().refresh();
        assertThat(sut.db().state("flaky").get("consecutive_failures")).isEqualTo(2);

        sut.evolution().clearFaults();
        assertThat(sut.service().refresh().getFailed()).isZero();
        Map<String, Object> state = sut.db().state("flaky");
        assertThat(state.get("consecutive_failures")).isEqualTo(0);
        assertThat(state.get("last_error")).isNull();
    }

    @Test
    void anInstanceWithoutAnyApikeyFailsWithoutACall() throws Exception {
        try (RunningService keyless = RunningService.against(sut.evolution()).with("evolution.api-key", null).start()) {
            sut.evolution().addInstance("tokenless", "token-t", State.CONNECTING);
            keyless.db().insertInstance("tokenless", null, "connecting");

            RefreshRun run = keyless.refresh();

            assertThat(run.getResults().get(0).error()).contains("no apikey (");
            assertThat(sut.evolution().calls(EvolutionCall.CONNECTION_STATE, "tokenless")).isZero();
        }
    }

    @Test
    void theGlobalKeyIsUsedWhenTheRowHasNoToken() {
        sut.evolution().addInstance("global", "token-g", State.CONNECTING);
        sut.evolution().rotate("global");
        sut.db().insertInstance("global", null, "connecting");

        assertThat(sut.service().refresh().getRefreshed()).isEqualTo(1);
    }

    private String givenAnInstanceWithAStoredQr(String name) {
        sut.connectingInstanceWithQr(name);
        assertThat(sut.service().refresh().getRefreshed()).isEqualTo(1);
        sut.evolution().rotate(name);
        return (String) sut.db().instance(name).get("qr_code");
    }
}
