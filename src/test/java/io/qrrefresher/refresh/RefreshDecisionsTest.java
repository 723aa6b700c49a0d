package io.qrrefresher.refresh;

import io.qrrefresher.evolution.QrFingerprint;
import java.util.stream.Stream;

import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.EvolutionReply;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.refresh.RefreshDecisions.Decision;
import io.qrrefresher.refresh.RefreshDecisions.Save;
import io.qrrefresher.refresh.RefreshDecisions.Step;
import io.qrrefresher.refresh.RefreshDecisions.Stored;
import io.qrrefresher.support.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.qrrefresher.evolution.EvolutionCall.Unanswered;

import static io.qrrefresher.evolution.EvolutionCall.CONNECT;
import static io.qrrefresher.evolution.EvolutionCall.CONNECTION_STATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Every row of the refresh's decision table: (the call made, Evolution's answer as recorded in
 * src/test/resources/evolution, what is stored) → next step, outcome, what is written, failure reason. Pure: no
 * Camel, no database, no HTTP.
 */
class RefreshDecisionsTest {

    static final RefreshDecisions DECISIONS = new RefreshDecisions(new QrContent(),
            new io.qrrefresher.evolution.EvolutionServers(java.util.List.of(new io.qrrefresher.config.Settings.EvolutionServer(
                    "default", java.net.URI.create("http://127.0.0.1:1"), java.util.Optional.empty()))),
            new io.qrrefresher.metrics.QrMetrics(new io.micrometer.core.instrument.simple.SimpleMeterRegistry(),
                    java.time.Duration.ofSeconds(8)), null);
    /** Nothing stored yet: no QR, no failures, no pending request. */
    static final Stored FRESH = new Stored(null, null, false, false);
    /** Failures or a noted close that an answer showing neither clears. */
    static final Stored WITH_STATE_TO_CLEAR = new Stored(null, null, true, false);
    /** The application set a closed row back to connecting (a connect request not served yet). */
    static final Stored CONNECT_REQUESTED = new Stored(null, null, true, true);

    static EvolutionReply reply(int status, String fixture) {
        return EvolutionReply.parse(status, "application/json", Fixtures.bytes(fixture));
    }

    static Stored storing(String fixture) {
        EvolutionReply qr = reply(200, fixture);
        return new Stored(QrFingerprint.of(qr.qrCode()), qr.qrCount(), false, false);
    }

    static Stream<Arguments> table() {
        return Stream.of(
            // call, status, fixture, stored -> next, outcome, save, failure reason
            arguments(CONNECTION_STATE, 200, "connection-state-connecting.json", FRESH,
                    Step.CALL_CONNECT, null, Save.NOTHING, null),
            arguments(CONNECTION_STATE, 200, "connection-state-open.json", FRESH,
                    Step.SAVE, Outcome.OPENED, Save.MARK_OPEN, null),
            arguments(CONNECTION_STATE, 200, "connection-state-close.json", FRESH,
                    Step.SAVE, Outcome.CLOSE_PENDING, Save.NOTE_CLOSE, null),
            // never connect a closed instance, except once per explicit request, claimed first
            arguments(CONNECTION_STATE, 200, "connection-state-close.json", CONNECT_REQUESTED,
                    Step.CLAIM_CONNECT, null, Save.NOTHING, null),
            arguments(CONNECTION_STATE, 200, "connection-state-not-loaded.json", FRESH,
                    Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, "not_loaded"),
            // a QR or count-0 body is not an answer to connectionState
            arguments(CONNECTION_STATE, 200, "connect-qr.json", FRESH,
                    Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, "bad_reply"),
            arguments(CONNECTION_STATE, 404, "not-found.json", FRESH,
                    Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, "not_found"),
            arguments(CONNECTION_STATE, 401, "unauthorized.json", FRESH,
                    Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, "unauthorized"),
            // a 404 of Express (no such route: a wrong EVOLUTION_API_BASE_URL) is not a missing instance
            arguments(CONNECTION_STATE, 404, "route-not-found.json", FRESH,
                    Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, "bad_reply"),
            // HTTP 200 can be a failure
            arguments(CONNECTION_STATE, 200, "connect-error-200.json", FRESH,
                    Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, "bad_reply"),
            arguments(CONNECTION_STATE, 200, "root-info.json", FRESH,
                    Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, "bad_reply"),

            arguments(CONNECT, 200, "connect-qr.json", FRESH,
                    Step.SAVE, Outcome.REFRESHED, Save.STORE_QR, null),
            arguments(CONNECT, 200, "connect-qr-pairing-code.json", FRESH,
                    Step.SAVE, Outcome.REFRESHED, Save.STORE_QR, null),
            arguments(CONNECT, 200, "v1/connect-qr.json", FRESH,
                    Step.SAVE, Outcome.REFRESHED, Save.STORE_QR, null),
            arguments(CONNECT, 200, "connect-qr.json", storing("connect-qr.json"),
                    Step.SAVE, Outcome.UNCHANGED, Save.NOTHING, null),
            arguments(CONNECT, 200, "connect-qr-not-ready.json", FRESH,
                    Step.SAVE, Outcome.NO_QR_YET, Save.NOTHING, null),
            arguments(CONNECT, 200, "connect-qr-not-ready.json", WITH_STATE_TO_CLEAR,
                    Step.SAVE, Outcome.NO_QR_YET, Save.RESET_STATE, null),
            // paired between the two calls
            arguments(CONNECT, 200, "connect-already-open.json", FRESH,
                    Step.SAVE, Outcome.OPENED, Save.MARK_OPEN, null),
            arguments(CONNECT, 200, "v1/connect-already-open.json", FRESH,
                    Step.SAVE, Outcome.OPENED, Save.MARK_OPEN, null),
            // after connect, a close is only noted, even with a request pending (no second connect)
            arguments(CONNECT, 200, "connection-state-close.json", CONNECT_REQUESTED,
                    Step.SAVE, Outcome.CLOSE_PENDING, Save.NOTE_CLOSE, null),
            arguments(CONNECT, 200, "connection-state-connecting.json", WITH_STATE_TO_CLEAR,
                    Step.SAVE, Outcome.NO_QR_YET, Save.RESET_STATE, null),
            arguments(CONNECT, 200, "connect-error-200.json", FRESH,
                    Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, "bad_reply"),
            arguments(CONNECT, 404, "not-found.json", FRESH,
                    Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, "not_found"),
            arguments(CONNECT, 401, "unauthorized.json", FRESH,
                    Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, "unauthorized"));
    }

    @ParameterizedTest(name = "{0} answered {1} {2} -> {4} {5} {6} {7}")
    @MethodSource("table")
    void decides(EvolutionCall call, int status, String fixture, Stored stored,
                 Step next, Outcome outcome, Save save, String reason) {
        Decision decision = DECISIONS.afterReply(call, reply(status, fixture), stored);

        assertThat(decision.next()).isEqualTo(next);
        assertThat(decision.outcome()).isEqualTo(outcome);
        assertThat(decision.save()).isEqualTo(save);
        assertThat(decision.failureReason()).isEqualTo(reason);
        assertThat(decision.unauthorized()).isEqualTo("unauthorized".equals(reason));
        if (outcome == Outcome.FAILED) {
            assertThat(decision.error()).isNotBlank();
        }
        assertThat(decision.qr() != null).isEqualTo(save == Save.STORE_QR);
    }

    @Test
    void aStoredQrCarriesTheImageOfItsCodeItsFingerprintAndCount() {
        EvolutionReply qr = reply(200, "connect-qr.json");

        Decision decision = DECISIONS.afterReply(CONNECT, qr, FRESH);

        // rendered from the code, not Evolution's image (a QR of its code by construction)
        assertThat(decision.qr().image()).isEqualTo(io.qrrefresher.evolution.QrImages.dataUrl(qr.qrCode()))
                .startsWith(QrContent.PNG_DATA_URL_PREFIX);
        assertThat(decision.qr().codeHash()).isEqualTo(QrFingerprint.of(qr.qrCode()));
        assertThat(decision.qr().count()).isEqualTo(3);
    }

    @Test
    void theSameCodeWithAHigherCountIsANewQr() {
        EvolutionReply qr = reply(200, "connect-qr.json");
        Stored earlier = new Stored(QrFingerprint.of(qr.qrCode()), qr.qrCount() - 1, false, false);

        assertThat(DECISIONS.afterReply(CONNECT, qr, earlier).save()).isEqualTo(Save.STORE_QR);
    }

    @Test
    void anImageThatIsNotAQrOfItsCodeIsIgnoredAndABadCodeRefused() {
        EvolutionReply html = new EvolutionReply(EvolutionReply.Kind.QR, 200, null, "2@abc",
                "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString("<html>".getBytes()), 4, null, null);
        EvolutionReply badCode = new EvolutionReply(EvolutionReply.Kind.QR, 200, null, "2@abc\n<script>",
                reply(200, "connect-qr.json").qrBase64(), 4, null, null);

        Decision image = DECISIONS.afterReply(CONNECT, html, FRESH);
        Decision code = DECISIONS.afterReply(CONNECT, badCode, FRESH);

        assertThat(image.save()).isEqualTo(Save.STORE_QR);
        assertThat(image.qr().image()).isEqualTo(io.qrrefresher.evolution.QrImages.dataUrl("2@abc"));
        assertThat(code.failureReason()).isEqualTo("bad_code");
        assertThat(code.qrRejected()).isTrue();
        assertThat(code.save()).isEqualTo(Save.RECORD_FAILURE);
        assertThat(code.qr()).isNull();
    }

    @Test
    void anUnknownStateIsAFailureNamingIt() {
        EvolutionReply odd = new EvolutionReply(EvolutionReply.Kind.STATE, 200, "refused", null, null, null, null, null);

        Decision decision = DECISIONS.afterReply(CONNECTION_STATE, odd, FRESH);

        assertThat(decision.failureReason()).isEqualTo("bad_reply");
        assertThat(decision.error()).contains("'refused'");
    }

    @Test
    void theSafetyReadOfACoveredInstanceReadsItsStateOnly() {
        Stored safetyRead = new Stored("hash", 3, false, false, true);
        Decision connecting = DECISIONS.afterReply(EvolutionCall.CONNECTION_STATE,
                new EvolutionReply(EvolutionReply.Kind.STATE, 200, "connecting", null, null, null, null, null),
                safetyRead);
        assertThat(connecting.next()).isEqualTo(Step.SAVE);
        assertThat(connecting.outcome()).isEqualTo(Outcome.UNCHANGED);
        Decision paired = DECISIONS.afterReply(EvolutionCall.CONNECTION_STATE,
                new EvolutionReply(EvolutionReply.Kind.STATE, 200, "open", null, null, null, null, null), safetyRead);
        assertThat(paired.outcome()).isEqualTo(Outcome.OPENED);
    }

    @Test
    void theStartNeedsAKeyAndMakesNoCallForACoveredInstance() {
        assertThat(DECISIONS.start(true, false).next()).isEqualTo(Step.CALL_CONNECTION_STATE);
        Decision covered = DECISIONS.start(true, true);
        assertThat(covered.next()).isEqualTo(Step.SAVE);
        assertThat(covered.outcome()).isEqualTo(Outcome.COVERED);
        assertThat(covered.save()).isEqualTo(Save.NOTHING);
        Decision noKey = DECISIONS.start(false, false);
        assertThat(noKey.next()).isEqualTo(Step.SAVE);
        assertThat(noKey.failureReason()).isEqualTo("no_apikey");
        assertThat(noKey.save()).isEqualTo(Save.RECORD_FAILURE);
    }

    @Test
    void noAnswerIsRecordedAgainstTheInstanceOnlyWhenTheCallWasMade() {
        Decision timedOut = DECISIONS.unanswered(new Unanswered("unavailable", "Evolution API unavailable: timeout",
                false));
        Decision shortCircuited = DECISIONS.unanswered(new Unanswered("circuit_open", "circuit open", true));

        assertThat(timedOut.failureReason()).isEqualTo("unavailable");
        assertThat(timedOut.save()).isEqualTo(Save.RECORD_FAILURE);
        assertThat(shortCircuited.failureReason()).isEqualTo("circuit_open");
        assertThat(shortCircuited.save()).isEqualTo(Save.NOTHING);
    }

    @Test
    void aServerBehindItsLicenceGateIsRecordedAsSuchWhetherTheCallWasMadeOrTurnedAway() {
        for (boolean turnedAway : new boolean[] {false, true}) {
            Decision gated = DECISIONS.unanswered(new Unanswered("license_required", "not activated", turnedAway));
            assertThat(gated.failureReason()).isEqualTo("license_required");
            assertThat(gated.save()).isEqualTo(Save.RECORD_FAILURE);
            assertThat(io.qrrefresher.alert.Cause.ofFailure(gated.failureReason(), true))
                    .isEqualTo(io.qrrefresher.alert.Cause.LICENSE_REQUIRED);
        }
    }

    @Test
    void aClaimedRequestSendsOneConnectALostClaimOnlyNotesTheClose() {
        assertThat(DECISIONS.afterConnectClaim(true).next()).isEqualTo(Step.CALL_CONNECT);
        Decision lost = DECISIONS.afterConnectClaim(false);
        assertThat(lost.outcome()).isEqualTo(Outcome.CLOSE_PENDING);
        assertThat(lost.save()).isEqualTo(Save.NOTE_CLOSE);
    }
}
