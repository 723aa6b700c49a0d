package io.qrrefresher.refresh;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.stream.Stream;

import io.qrrefresher.config.Settings;
import io.qrrefresher.refresh.Coverage.Plan;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/** Which instances a run may skip because webhooks keep their QR current: the table of {@link Coverage}. */
class CoverageTest {

    static final Instant NOW = Instant.parse("2026-12-02T12:00:00Z");
    static final Coverage ON = new Coverage(new Settings.Coverage(true, Duration.ofSeconds(60), Duration.ofMinutes(5)));
    static final Coverage OFF = new Coverage(new Settings.Coverage(false, Duration.ofSeconds(60), Duration.ofMinutes(5)));

    static Stream<Arguments> instances() {
        return Stream.of(
                // webhook seconds ago, read seconds ago (null: never), failures, close seen, unserved request
                arguments("webhook 10 s ago, read 1 min ago", ON, row(10, 60, 0, false, false), true, Plan.SKIP),
                arguments("coverage off", OFF, row(10, 60, 0, false, false), true, Plan.POLL),
                arguments("webhooks stopped for the whole fleet", ON, row(10, 60, 0, false, false), false, Plan.POLL),
                arguments("last webhook older than QR_COVERED_FOR", ON, row(61, 60, 0, false, false), true, Plan.POLL),
                arguments("never a webhook", ON, row(null, 60, 0, false, false), true, Plan.POLL),
                arguments("safety read due", ON, row(10, 301, 0, false, false), true, Plan.SAFETY_READ),
                arguments("never read yet", ON, row(10, null, 0, false, false), true, Plan.SAFETY_READ),
                arguments("last refresh failed", ON, row(10, 60, 1, false, false), true, Plan.POLL),
                arguments("a close to confirm", ON, row(10, 60, 0, true, false), true, Plan.POLL),
                arguments("the application asked for a QR again", ON, row(10, 60, 0, false, true), true, Plan.POLL));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("instances")
    void plans(String situation, Coverage coverage, ConnectingInstance instance, boolean webhooksAlive,
               Plan expected) {
        assertThat(coverage.plan(instance, NOW, webhooksAlive)).isEqualTo(expected);
    }

    private static ConnectingInstance row(Integer webhookSecondsAgo, Integer readSecondsAgo, int failures,
                                          boolean closeSeen, boolean unservedRequest) {
        ConnectingInstance instance = new ConnectingInstance();
        instance.setInstanceName("shop");
        instance.setLastWebhookAt(ago(webhookSecondsAgo));
        instance.setLastReadAt(ago(readSecondsAgo));
        instance.setConsecutiveFailures(failures);
        instance.setCloseSeen(closeSeen);
        instance.setConnectRequests(unservedRequest ? 2 : 1);
        instance.setConnectRequestsServed(1);
        return instance;
    }

    private static OffsetDateTime ago(Integer seconds) {
        return seconds == null ? null : NOW.minusSeconds(seconds).atOffset(ZoneOffset.UTC);
    }
}
