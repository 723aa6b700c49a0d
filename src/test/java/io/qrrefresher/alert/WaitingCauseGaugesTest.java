package io.qrrefresher.alert;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The per-cause gauge: counts as the check classifies, and NaN when it has not counted or its count is too old. */
class WaitingCauseGaugesTest {

    final AtomicLong now = new AtomicLong(1_000_000_000L);
    final WaitingCauseGauges gauges = new WaitingCauseGauges(() -> false, now::get);

    @Test
    void nothingCountedYetIsNaNNotZero() {
        for (Cause cause : Diagnosis.ROW_CAUSES) {
            assertThat(gauges.value(cause).doubleValue()).as(cause.id()).isNaN();
        }
    }

    @Test
    void countsEachCauseAndZeroForTheOthers() {
        gauges.count(List.of(
                row("count-0-a", true, true, true, 0, null),
                row("count-0-b", false, true, true, 0, null),
                row("deleted", true, true, false, 3, "not_found"),
                row("just-past-no-qr-unread", false, true, false, 0, null)));

        assertThat(gauges.value(Cause.NO_QR_GENERATED)).isEqualTo(2);
        assertThat(gauges.value(Cause.INSTANCE_MISSING)).isEqualTo(1);
        assertThat(gauges.value(Cause.NOT_POLLED)).isEqualTo(0);
        assertThat(gauges.value(Cause.EVOLUTION_UNREACHABLE)).isEqualTo(0);

        gauges.count(List.of());
        for (Cause cause : Diagnosis.ROW_CAUSES) {
            assertThat(gauges.value(cause)).as(cause.id()).isEqualTo(0);
        }
    }

    @Test
    void aCountOlderThanItsTrustIsNaN() {
        gauges.count(List.of(row("deleted", true, true, false, 3, "not_found")));
        now.addAndGet(WaitingCauseGauges.TRUSTED_FOR.toNanos());
        assertThat(gauges.value(Cause.INSTANCE_MISSING)).as("at the limit").isEqualTo(1);
        // the database stopped answering: no count for longer than TRUSTED_FOR
        now.addAndGet(1);
        assertThat(gauges.value(Cause.INSTANCE_MISSING).doubleValue()).isNaN();
        assertThat(gauges.value(Cause.NO_QR_GENERATED).doubleValue()).isNaN();
    }

    /** A row of read-waiting-instances, among 4 connecting ones. */
    private static Map<String, Object> row(String name, boolean stale, boolean waitedPastNoQr, boolean readSinceWaiting,
                                           int failures, String reason) {
        Map<String, Object> row = new HashMap<>();
        row.put("instance_name", name);
        row.put("stale", stale);
        row.put("waited_past_no_qr", waitedPastNoQr);
        row.put("read_since_waiting", readSinceWaiting);
        row.put("consecutive_failures", failures);
        row.put("last_failure_reason", reason);
        row.put("own_token", true);
        row.put("connecting_count", 4L);
        row.put("key_rejected_count", 0L);
        return row;
    }
}
