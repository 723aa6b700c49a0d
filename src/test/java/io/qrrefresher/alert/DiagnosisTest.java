package io.qrrefresher.alert;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import io.qrrefresher.alert.Diagnosis.Fleet;
import io.qrrefresher.alert.Diagnosis.Waiting;
import io.qrrefresher.refresh.RefreshDecisions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** The cause table: what is recorded about a connecting row, and what the check says of it. */
class DiagnosisTest {

    static final Fleet FLEET = new Fleet(10, 1, false);
    static final Fleet ALL_REFUSED = new Fleet(3, 3, false);
    static final Fleet ONE_ROW_REFUSED = new Fleet(1, 1, false);
    static final Fleet CIRCUIT_OPEN = new Fleet(10, 0, true);
    static final boolean[] BOOLEANS = {false, true};

    static Stream<Arguments> rows() {
        return Stream.of(
                // stale, waitedPastNoQr, readSinceWaiting, failures, reason, ownToken
                arguments("fresh row", new Waiting(false, false, true, 0, null, true), FLEET, null),
                arguments("just entered connecting", new Waiting(false, false, false, 0, null, true), FLEET, null),
                arguments("one failure, not stale yet", new Waiting(false, true, true, 1, "not_found", true), FLEET,
                        null),
                arguments("404", new Waiting(true, true, true, 3, "not_found", true), FLEET, Cause.INSTANCE_MISSING),
                arguments("401 on its own token", new Waiting(true, true, false, 2, "unauthorized", true), FLEET,
                        Cause.INSTANCE_KEY_REJECTED),
                arguments("401 on the only row", new Waiting(true, true, false, 2, "unauthorized", true),
                        ONE_ROW_REFUSED, Cause.INSTANCE_KEY_REJECTED),
                arguments("401 on every row", new Waiting(true, true, false, 2, "unauthorized", true), ALL_REFUSED,
                        Cause.API_KEY_REJECTED),
                arguments("401 on the global key", new Waiting(true, true, false, 2, "unauthorized", false), FLEET,
                        Cause.API_KEY_REJECTED),
                arguments("timeouts", new Waiting(true, true, false, 5, "unavailable", true), FLEET,
                        Cause.EVOLUTION_UNREACHABLE),
                arguments("not loaded", new Waiting(true, true, false, 5, "not_loaded", true), FLEET,
                        Cause.REFRESH_FAILING),
                arguments("refused image", new Waiting(true, true, true, 1, "bad_image", true), FLEET,
                        Cause.REFRESH_FAILING),
                arguments("count 0 past the threshold", new Waiting(true, true, true, 0, null, true), FLEET,
                        Cause.NO_QR_GENERATED),
                arguments("count 0 past the threshold, before QR_STALE_AFTER",
                        new Waiting(false, true, true, 0, null, true), FLEET, Cause.NO_QR_GENERATED),
                arguments("count 0 for a short while", new Waiting(false, false, true, 0, null, true), FLEET, null),
                arguments("answered without a QR past QR_STALE_AFTER (set below ALERT_NO_QR_AFTER)",
                        new Waiting(true, false, true, 0, null, true), FLEET, Cause.NO_QR_GENERATED),
                arguments("a failure resets nothing of the count-0 wait: the failure says more",
                        new Waiting(true, true, true, 1, "unavailable", true), FLEET, Cause.EVOLUTION_UNREACHABLE),
                arguments("never read since waiting", new Waiting(true, true, false, 0, null, true), FLEET,
                        Cause.NOT_POLLED),
                arguments("never read, circuit open", new Waiting(true, true, false, 0, null, true), CIRCUIT_OPEN,
                        Cause.EVOLUTION_UNREACHABLE));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rows")
    void classifies(String situation, Waiting row, Fleet fleet, Cause expected) {
        assertThat(Diagnosis.classify(row, fleet)).isEqualTo(expected);
    }

    @Test
    void noQrOnEveryInstancePointsAtTheServer() {
        assertThat(Diagnosis.noQrScope(5, 5)).isEqualTo("server");
        assertThat(Diagnosis.noQrScope(1, 1)).isEqualTo("instance");
        assertThat(Diagnosis.noQrScope(1, 9)).isEqualTo("instance");
        assertThat(Diagnosis.noQrScope(3, 9)).isEqualTo("instances");
        assertThat(Diagnosis.noQrHint("server")).contains("CONFIG_SESSION_PHONE_VERSION");
        assertThat(Diagnosis.noQrHint("instance")).contains("recreate");
    }

    /** CONTRACT.md section 8: what pins the WhatsApp Web version depends on the server's version (GET /). */
    @ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "2.2.3|set CONFIG_SESSION_PHONE_VERSION|Update to 2.3.7",
        "2.3.0|evoapicloud/evolution-api 2.3.6 or later|CONFIG_BAILEYS_VERSION",
        "2.3.1|CONFIG_SESSION_PHONE_VERSION is ignored since 2.3.1|set CONFIG_SESSION_PHONE_VERSION",
        "2.3.7|Update to 2.3.7|CONFIG_BAILEYS_VERSION",
        "2.4.0-rc2|CONFIG_BAILEYS_VERSION|set CONFIG_SESSION_PHONE_VERSION",
        "v2.5|CONFIG_BAILEYS_VERSION|CONFIG_SESSION_PHONE_VERSION",
        "simulator|Update Evolution API or set CONFIG_SESSION_PHONE_VERSION|Evolution simulator",
    })
    void theServerHintFollowsItsVersion(String version, String says, String doesNotSay) {
        String hint = Diagnosis.noQrHint("server", java.util.Optional.of(version));

        assertThat(hint).contains(says).doesNotContain(doesNotSay);
        assertThat(Diagnosis.noQrHint("instance", java.util.Optional.of(version))).contains("recreate");
    }

    @Test
    void staleQrsNeedEnoughReadsAndMoreThanTheRate() {
        assertThat(Diagnosis.staleQrsShown(19, 19, 20, 20, 10, false)).isFalse();
        assertThat(Diagnosis.staleQrsShown(100, 20, 20, 20, 10, false)).isFalse();
        assertThat(Diagnosis.staleQrsShown(100, 21, 20, 20, 10, false)).isTrue();
        assertThat(Diagnosis.staleQrsShown(0, 0, 0, 0, 10, false)).isFalse();
        assertThat(Diagnosis.staleQrsShown(100, 100, 20, 100, 10, false)).isFalse();
        assertThat(Diagnosis.staleQrHint(true)).contains("not arriving").contains("/webhooks/evolution");
        assertThat(Diagnosis.staleQrHint(false)).contains("No webhooks");
    }

    /**
     * A share of stale QRs hovering around the threshold (20 %) fires once and resolves once: firing, it resolves only
     * at the clear share (10 %) or less; resolved, it fires again only above 20 %.
     */
    @Test
    void staleQrsShownFiresAboveTheThresholdAndResolvesOnlyAtTheClearShare() {
        int[] percents = {15, 21, 19, 22, 18, 12, 11, 10, 19, 20, 21, 5, 0};
        boolean[] expected = {false, true, true, true, true, true, true, false, false, false, true, false, false};
        boolean firing = false;
        int transitions = 0;
        for (int i = 0; i < percents.length; i++) {
            boolean next = Diagnosis.staleQrsShown(100, percents[i], 20, 20, 10, firing);
            assertThat(next).as("at %d %% after %s", percents[i], firing ? "firing" : "resolved").isEqualTo(expected[i]);
            transitions += next != firing ? 1 : 0;
            firing = next;
        }
        assertThat(transitions).isEqualTo(4);
        // firing with too few reads to judge: stays firing while any was stale, resolves when none was
        assertThat(Diagnosis.staleQrsShown(5, 2, 20, 20, 10, true)).isTrue();
        assertThat(Diagnosis.staleQrsShown(0, 0, 20, 20, 10, true)).isFalse();
    }

    /** The gauge qr_refresher_waiting_instances has a series for each cause a row can get: none is left out. */
    @Test
    void everyCauseARowCanGetIsListed() {
        Set<Cause> given = EnumSet.noneOf(Cause.class);
        List<String> reasons = new ArrayList<>(RefreshDecisions.FAILURE_REASONS);
        reasons.add(null);
        reasons.add("a reason added later");
        for (boolean stale : BOOLEANS) {
            for (boolean waitedPastNoQr : BOOLEANS) {
                for (boolean read : BOOLEANS) {
                    for (int failures : new int[] {0, 1, 5}) {
                        for (String reason : reasons) {
                            for (boolean ownToken : BOOLEANS) {
                                for (Fleet fleet : List.of(FLEET, ALL_REFUSED, ONE_ROW_REFUSED, CIRCUIT_OPEN)) {
                                    Cause cause = Diagnosis.classify(
                                            new Waiting(stale, waitedPastNoQr, read, failures, reason, ownToken), fleet);
                                    if (cause != null) {
                                        given.add(cause);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        assertThat(Diagnosis.ROW_CAUSES).containsExactlyInAnyOrderElementsOf(given);
    }

    @Test
    void everyCauseHasAHintAndAnAlert() {
        for (Cause cause : Cause.values()) {
            assertThat(cause.hint()).isNotBlank().doesNotContain("\n");
            assertThat(cause.alert()).matches("[a-z_]+");
            assertThat(cause.severity()).isIn("info", "warning", "critical");
        }
    }
}
