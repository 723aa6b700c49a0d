package io.qrrefresher.alert;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import io.qrrefresher.ops.QrMetrics;
import org.apache.camel.Exchange;

/**
 * The gauge {@code qr_refresher_waiting_instances{cause}}: how many connecting instances have each cause now, as the
 * failure check would classify them (route {@code count-waiting-causes}, every replica, from the database, so replicas
 * agree). Grafana and Prometheus rules see the causes without waiting for the check; NaN when the last count is older
 * than {@link #TRUSTED_FOR} (the database is away).
 */
public final class WaitingCauseGauges {

    static final Duration TRUSTED_FOR = Duration.ofSeconds(60);

    private final BooleanSupplier evolutionUnreachable;
    private final Map<Cause, Integer> counts = new EnumMap<>(Cause.class);
    private volatile long countedAt;

    public WaitingCauseGauges(BooleanSupplier evolutionUnreachable) {
        this.evolutionUnreachable = evolutionUnreachable;
    }

    public void register(QrMetrics metrics) {
        for (Cause cause : Diagnosis.ROW_CAUSES) {
            metrics.gauge("qr_refresher.waiting.instances", "Connecting instances without a working QR, by cause"
                    + " (as the failure check classifies them)", null, "cause", cause.id(), () -> value(cause));
        }
    }

    /** Counts the rows of {@code read-waiting-instances} per cause. */
    public void count(Exchange exchange) {
        WaitingRows waiting = WaitingRows.classify(exchange.getMessage().getBody(List.class),
                evolutionUnreachable.getAsBoolean());
        synchronized (counts) {
            for (Cause cause : Diagnosis.ROW_CAUSES) {
                counts.put(cause, waiting.count(cause));
            }
        }
        countedAt = System.nanoTime();
        exchange.getMessage().setBody(null);
    }

    private Number value(Cause cause) {
        if (countedAt == 0 || System.nanoTime() - countedAt > TRUSTED_FOR.toNanos()) {
            return Double.NaN;
        }
        synchronized (counts) {
            return counts.getOrDefault(cause, 0);
        }
    }
}
