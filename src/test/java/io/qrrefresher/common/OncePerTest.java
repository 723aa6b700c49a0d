package io.qrrefresher.common;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OncePerTest {

    static final Instant T0 = Instant.parse("2026-12-07T05:00:00Z");

    @Test
    void onceAnIntervalPerKeyAndAtOnceAfterAReset() {
        OncePer once = new OncePer(Duration.ofMinutes(1));

        assertThat(once.due("a", T0)).isTrue();
        assertThat(once.due("a", T0.plusSeconds(59))).isFalse();
        assertThat(once.due("b", T0.plusSeconds(59))).as("keys apart").isTrue();
        assertThat(once.due("a", T0.plusSeconds(60))).isTrue();
        assertThat(once.due("a", T0.plusSeconds(61))).isFalse();
        once.reset("a");
        assertThat(once.due("a", T0.plusSeconds(62))).isTrue();
    }
}
