package io.qrrefresher.webhook;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class EvolutionClocksTest {

    static final Duration LIFETIME = Duration.ofSeconds(45);
    static final Duration SAO_PAULO = Duration.ofHours(-3);
    final EvolutionClocks clocks = new EvolutionClocks();
    final Instant start = Instant.parse("2026-11-25T12:00:00Z");

    @Test
    void lateRetriesAreLateAndTimelyEventsAreNot() {
        assertThat(lateness(0, 0.2)).isZero();
        assertThat(lateness(10, 10.3).toMillis()).isLessThan(500);
        // a receiver outage: events sent at 20, 65, 110 s all delivered at 200 s
        assertThat(lateness(20, 200)).isGreaterThan(LIFETIME);
        assertThat(lateness(65, 200)).isGreaterThan(LIFETIME);
        assertThat(lateness(110, 200)).isGreaterThan(LIFETIME);
        assertThat(lateness(199, 199.3).toMillis()).isLessThan(500);
    }

    @Test
    void aClockThatMovesBackIsRelearnedAfterThreeAgreeingEvents() {
        lateness(0, 0.2);
        Duration daylightSavingEnds = Duration.ofHours(-1);
        assertThat(shifted(60, 60.2, daylightSavingEnds)).isGreaterThan(LIFETIME);
        assertThat(shifted(70, 70.3, daylightSavingEnds)).isGreaterThan(LIFETIME);
        assertThat(shifted(80, 80.2, daylightSavingEnds)).isZero();
        assertThat(shifted(90, 90.2, daylightSavingEnds).toMillis()).isLessThan(500);
    }

    @Test
    void oneEventFromTheFutureDoesNotMakeLaterGenuineEventsLate() {
        lateness(0, 0.2);
        assertThat(shifted(10, 10.2, Duration.ofHours(1))).as("an hour ahead: not late").isZero();
        assertThat(lateness(20, 20.3).toMillis()).as("the genuine event after it").isLessThan(500);
        assertThat(lateness(30, 30.2).toMillis()).isLessThan(500);
    }

    @Test
    void aClockThatMovesForwardIsRelearnedAfterThreeAgreeingEvents() {
        lateness(0, 0.2);
        Duration daylightSavingStarts = Duration.ofHours(1);
        assertThat(shifted(60, 60.2, daylightSavingStarts)).isZero();
        assertThat(shifted(70, 70.3, daylightSavingStarts)).isZero();
        assertThat(shifted(80, 80.2, daylightSavingStarts)).isZero();
        // the new normal: an event 60 s late on the new clock is late again
        assertThat(shifted(90, 150, daylightSavingStarts)).isGreaterThan(LIFETIME);
    }

    @Test
    void aDateNoTimeZoneExplainsIsNeitherLateNorLearnt() {
        lateness(0, 0.2);
        Instant received = start.plusSeconds(10);
        assertThat(clocks.lateness("https://evo.example.com", Instant.parse("2099-01-01T00:00:00Z"), received,
                LIFETIME)).isZero();
        assertThat(clocks.lateness("https://evo.example.com", Instant.parse("2001-01-01T00:00:00Z"), received,
                LIFETIME)).isZero();
        // the genuine events after them are measured against the clock learnt before
        assertThat(lateness(20, 20.3).toMillis()).isLessThan(500);
        assertThat(lateness(20, 80)).isGreaterThan(LIFETIME);
    }

    @Test
    void eachServerHasItsOwnClock() {
        assertThat(clocks.lateness("a", start.plus(SAO_PAULO), start, LIFETIME)).isZero();
        assertThat(clocks.lateness("b", start.plus(Duration.ofHours(2)), start.plusSeconds(1), LIFETIME)).isZero();
        assertThat(clocks.lateness("a", start.plusSeconds(5).plus(SAO_PAULO), start.plusSeconds(5), LIFETIME))
                .isZero();
    }

    private Duration lateness(double sentSecond, double receivedSecond) {
        return shifted(sentSecond, receivedSecond, Duration.ZERO);
    }

    private Duration shifted(double sentSecond, double receivedSecond, Duration shift) {
        Instant sent = start.plusMillis((long) (sentSecond * 1000)).plus(SAO_PAULO).plus(shift);
        Instant received = start.plusMillis((long) (receivedSecond * 1000));
        return clocks.lateness("https://evo.example.com", sent, received, LIFETIME);
    }

    @org.junit.jupiter.api.Test
    void memoryIsBoundedWhateverTheServersNamed() {
        java.time.Instant now = java.time.Instant.parse("2026-12-05T10:00:00Z");
        for (int i = 0; i < EvolutionClocks.MAX_SERVERS * 3; i++) {
            // a unique, long server_url each time: what an attacker would send
            clocks.lateness("https://evo-" + i + ".example/" + "x".repeat(10_000), now, now.plusMillis(200), LIFETIME);
        }

        assertThat(clocks.size()).isEqualTo(EvolutionClocks.MAX_SERVERS);
    }
}
