package io.qrrefresher.stream;

import java.time.Duration;
import java.time.Instant;

import io.qrrefresher.support.MutableClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The log of refused origins: one line per origin per minute, bounded whatever the callers send. */
class RefusedOriginsTest {

    @Test
    void oneLinePerOriginPerMinuteAndAtMostEightOriginsNamed() {
        MutableClock clock = new MutableClock(Instant.parse("2026-12-07T12:00:00Z"));
        RefusedOrigins log = new RefusedOrigins(clock, Duration.ofMinutes(1));
        assertThat(log.refused("https://shop.example", "/instances/a/qr/stream"))
                .contains("https://shop.example", "CORS_ALLOWED_ORIGINS");
        assertThat(log.refused("https://shop.example", "/instances/b/qr/stream")).isNull();
        for (int i = 1; i < RefusedOrigins.MAX_ORIGINS; i++) {
            assertThat(log.refused("https://site" + i + ".example", "/x")).isNotNull();
        }
        assertThat(log.refused("https://one-too-many.example", "/x")).contains("more than 8 origins");
        for (int i = 0; i < 1000; i++) {
            assertThat(log.refused("https://flood" + i + ".example", "/x")).isNull();
        }
        // an origin is cut to printable characters: nothing a caller sends reaches the log as it is
        clock.advance(Duration.ofSeconds(60));
        assertThat(log.refused("https://evil.example\n2026 FAKE LINE" + "x".repeat(500), "/x"))
                .doesNotContain("\n").hasSizeLessThan(400);
        assertThat(log.refused("https://shop.example", "/x")).isNotNull();
    }
}
