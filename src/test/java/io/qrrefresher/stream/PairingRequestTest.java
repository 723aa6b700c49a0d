package io.qrrefresher.stream;

import java.util.List;
import java.util.stream.Stream;

import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.EvolutionReply;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.stream.PairingRequest.Result;
import io.qrrefresher.stream.PairingRequest.Step;
import io.qrrefresher.support.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Every path of a pairing-code request: Evolution's answers, as recorded in src/test/resources/evolution, in order →
 * the calls made, how it ended, and whether connect (a new WhatsApp socket) was sent. Pure: no I/O.
 */
class PairingRequestTest {

    static final QrContent QR_CONTENT = new QrContent();

    /** One answer: an HTTP status and a fixture, or null for no answer (timeout). */
    record Answer(int status, String fixture) {
    }

    static Answer ok(String fixture) {
        return new Answer(200, fixture);
    }

    static Stream<Arguments> paths() {
        Answer connecting = ok("connection-state-connecting.json");
        Answer close = ok("connection-state-close.json");
        return Stream.of(
            // answers -> calls made, result, connect sent
            arguments(List.of(close, ok("connect-qr-pairing-code.json")),
                    "CONNECTION_STATE,CONNECT", Result.PAIRING_CODE, true),
            // the reply came before the new socket's first QR: the code follows by the stream
            arguments(List.of(close, ok("connect-qr-not-ready.json")),
                    "CONNECTION_STATE,CONNECT", Result.REQUESTED, true),
            // the previous session's QR (no pairing code) is not shown as if it were the new one
            arguments(List.of(close, ok("connect-qr.json")), "CONNECTION_STATE,CONNECT", Result.REQUESTED, true),
            // a QR is shown: logged out once, waited for, then connected with the number
            arguments(List.of(connecting, ok("logout-success.json"), close, ok("connect-qr-pairing-code.json")),
                    "CONNECTION_STATE,LOGOUT,WAIT,CONNECTION_STATE,CONNECT", Result.PAIRING_CODE, true),
            arguments(List.of(connecting, ok("logout-success.json"), connecting, connecting, close,
                            ok("connect-qr-not-ready.json")),
                    "CONNECTION_STATE,LOGOUT,WAIT,CONNECTION_STATE,WAIT,CONNECTION_STATE,WAIT,CONNECTION_STATE,CONNECT",
                    Result.REQUESTED, true),
            // closed between the read and the logout: Evolution says "not connected"
            arguments(List.of(connecting, new Answer(400, "logout-not-connected.json"), close,
                            ok("connect-qr-pairing-code.json")),
                    "CONNECTION_STATE,LOGOUT,WAIT,CONNECTION_STATE,CONNECT", Result.PAIRING_CODE, true),
            // never closes: given up after the waits, no connect
            arguments(List.of(connecting, ok("logout-success.json"), connecting, connecting, connecting),
                    "CONNECTION_STATE,LOGOUT,WAIT,CONNECTION_STATE,WAIT,CONNECTION_STATE,WAIT,CONNECTION_STATE",
                    Result.NOT_CLOSED, false),
            arguments(List.of(ok("connection-state-open.json")), "CONNECTION_STATE", Result.OPEN, false),
            arguments(List.of(close, ok("connect-already-open.json")), "CONNECTION_STATE,CONNECT", Result.OPEN, true),
            arguments(List.of(new Answer(404, "not-found.json")), "CONNECTION_STATE", Result.EVOLUTION_FAILED, false),
            arguments(List.of(new Answer(401, "unauthorized.json")), "CONNECTION_STATE", Result.EVOLUTION_FAILED,
                    false),
            arguments(List.of(ok("connection-state-not-loaded.json")), "CONNECTION_STATE", Result.EVOLUTION_FAILED,
                    false),
            arguments(List.of(connecting, new Answer(401, "unauthorized.json")), "CONNECTION_STATE,LOGOUT",
                    Result.EVOLUTION_FAILED, false),
            arguments(List.of(close, ok("connect-error-200.json")), "CONNECTION_STATE,CONNECT",
                    Result.EVOLUTION_FAILED, false),
            arguments(List.of(close, new Answer(404, "not-found.json")), "CONNECTION_STATE,CONNECT",
                    Result.EVOLUTION_FAILED, false));
    }

    @ParameterizedTest
    @MethodSource("paths")
    void walksEveryPath(List<Answer> answers, String calls, Result result, boolean connectSent) {
        PairingRequest request = new PairingRequest("acme-support", "default", "key", "5511987654321", 3, QR_CONTENT);
        StringBuilder made = new StringBuilder();
        int next = 0;
        while (request.getNext() != Step.DONE) {
            if (made.length() > 0) {
                made.append(',');
            }
            if (request.getNext() == Step.WAIT) {
                made.append("WAIT");
                request.waited();
                continue;
            }
            made.append(request.getCall());
            assertThat(request.getHttpQuery()).isEqualTo(request.getCall() == EvolutionCall.CONNECT
                    ? "number=5511987654321" : null);
            Answer answer = answers.get(next++);
            request.replied(EvolutionReply.parse(answer.status(), "application/json", Fixtures.bytes(answer.fixture())));
        }

        assertThat(made.toString()).isEqualTo(calls);
        assertThat(next).as("every answer was used").isEqualTo(answers.size());
        assertThat(request.getResult()).isEqualTo(result);
        assertThat(request.isConnectAttempted()).isEqualTo(connectSent);
        if (result == Result.PAIRING_CODE) {
            assertThat(request.getPairingCode()).isEqualTo("WZYEH1YY");
            assertThat(request.getQrImage()).startsWith(QrContent.PNG_DATA_URL_PREFIX);
        } else {
            assertThat(request.getPairingCode()).isNull();
            assertThat(request.getQrImage()).isNull();
        }
    }

    @Test
    void noAnswerToConnectMayHaveOpenedTheSocketAnOpenBreakerDidNot() {
        PairingRequest timedOut = closedAndConnecting();
        timedOut.unavailable(new io.qrrefresher.evolution.EvolutionCall.Unanswered("unavailable",
                "Evolution API unavailable: timeout", false));
        assertThat(timedOut.getResult()).isEqualTo(Result.UNAVAILABLE);
        assertThat(timedOut.isConnectAttempted()).isTrue();

        PairingRequest shortCircuited = closedAndConnecting();
        shortCircuited.unavailable(new io.qrrefresher.evolution.EvolutionCall.Unanswered("circuit_open",
                "circuit breaker is open", true));
        assertThat(shortCircuited.isConnectAttempted()).isFalse();
    }

    @Test
    void withoutAKeyNothingIsCalled() {
        PairingRequest request = new PairingRequest("acme-support", "default", null, "5511987654321", 3, QR_CONTENT);
        assertThat(request.getNext()).isEqualTo(Step.DONE);
        assertThat(request.getResult()).isEqualTo(Result.EVOLUTION_FAILED);
    }

    @Test
    void theNumberNeverShowsInFull() {
        PairingRequest request = new PairingRequest("acme-support", "default", "key", "5511987654321", 3, QR_CONTENT);
        assertThat(request.toString()).contains("…4321").doesNotContain("98765");
    }

    private static PairingRequest closedAndConnecting() {
        PairingRequest request = new PairingRequest("acme-support", "default", "key", "5511987654321", 3, QR_CONTENT);
        request.replied(EvolutionReply.parse(200, "application/json", Fixtures.bytes("connection-state-close.json")));
        assertThat(request.getCall()).isEqualTo(EvolutionCall.CONNECT);
        return request;
    }
}
