package io.qrrefresher.alert;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

import io.qrrefresher.metrics.QrMetrics;

/**
 * The gauge {@code qr_refresher_waiting_instances{cause}}: how many connecting instances have each cause now, as the
 * failure check would classify them (route {@code count-waiting-causes}, every replica, from the database, so replicas
 * agree). Grafana and Prometheus rules see the causes without waiting for the check; NaN when the last count is older
 * than {@link #TRUSTED_FOR} (the database is away).
 */
public final class WaitingCauseGauges {

    static final Duration TRUSTED_FOR = Duration.ofSeconds(60);

    private final BooleanSupplier evolutionUnreachable;
    private final LongSupplier nanoTime;
    private final Map<Cause, Integer> counts = new EnumMap<>(Cause.class);
    private volatile Long countedAt;

    public WaitingCauseGauges(BooleanSupplier evolutionUnreachable) {
        this(evolutionUnreachable, System::nanoTime);
    }

    WaitingCauseGauges(BooleanSupplier evolutionUnreachable, LongSupplier nanoTime) {
        this.evolutionUnreachable = evolutionUnreachable;
        this.nanoTime = nanoTime;
    }

    public void register(QrMetrics metrics) {
        for (Cause cause : Diagnosis.ROW_CAUSES) {
            metrics.gauge("qr_refresher.waiting.instances", "Connecting instances without a working QR, by cause"
                    + " (as the failure check classifies them)", null, "cause", cause.id(), () -> value(cause));
        }
    }

    /** Counts the rows of {@code read-waiting-instances} per cause. */
    public void count(List<?> rows) {
        WaitingRows waiting = WaitingRows.classify(rows, evolutionUnreachable.getAsBoolean());
        synchronized (counts) {
            for (Cause cause : Diagnosis.ROW_CAUSES) {
                counts.put(cause, waiting.count(cause));
            }
        }
        countedAt = nanoTime.getAsLong();
    }

    /** The series' value: NaN before the first count and once the last one is older than {@link #TRUSTED_FOR}. */
    Number value(Cause cause) {
        Long counted = countedAt;
        if (counted == null || nanoTime.getAsLong() - counted > TRUSTED_FOR.toNanos()) {
            return Double.NaN;
        }
        synchronized (counts) {
            return counts.getOrDefault(cause, 0);
        }
    }
}
