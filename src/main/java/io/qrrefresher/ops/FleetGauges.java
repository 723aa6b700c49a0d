package io.qrrefresher.ops;

import io.qrrefresher.metrics.QrMetrics;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

/**
 * The gauges that need the database: connecting instances and the age of the oldest QR among them. Read every five
 * seconds on a thread of their own, never during a scrape, so that /observe/metrics answers at once whatever the
 * database does; NaN while the database is away (or the last read is older than 30 s).
 */
public final class FleetGauges implements AutoCloseable {

    private static final Duration EVERY = Duration.ofSeconds(5);
    private static final Duration TRUSTED_FOR = Duration.ofSeconds(30);

    private final DataSource dataSource;
    private final ScheduledExecutorService reader = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "fleet-gauges");
        thread.setDaemon(true);
        return thread;
    });
    private volatile long readAt;
    private volatile double connecting = Double.NaN;
    private volatile double oldestQrAgeSeconds = Double.NaN;

    public FleetGauges(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public void register(QrMetrics metrics) {
        metrics.gauge("qr_refresher.connecting.instances", "Instances waiting for a scan (status connecting)", null,
                () -> fresh() ? connecting : Double.NaN);
        metrics.gauge("qr_refresher.oldest.connecting.qr.age",
                "Age of the oldest QR code (or of the row's last change, when it has none) among connecting instances", "seconds",
                () -> fresh() ? oldestQrAgeSeconds : Double.NaN);
        reader.scheduleWithFixedDelay(this::read, 0, EVERY.toMillis(), TimeUnit.MILLISECONDS);
    }

    private boolean fresh() {
        return readAt != 0 && System.nanoTime() - readAt < TRUSTED_FOR.toNanos();
    }

    private void read() {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT count(*), EXTRACT(EPOCH FROM now() - min(COALESCE(last_qr_update, updated_at)))"
                             + " FROM evolution_instances WHERE instance_status = 'connecting'")) {
            statement.setQueryTimeout(2);
            try (ResultSet rs = statement.executeQuery()) {
                rs.next();
                connecting = rs.getLong(1);
                double age = rs.getDouble(2);
                oldestQrAgeSeconds = rs.wasNull() ? 0 : age;
                readAt = System.nanoTime();
            }
        } catch (Exception e) {
            connecting = Double.NaN;
            oldestQrAgeSeconds = Double.NaN;
        }
    }

    @Override
    public void close() {
        reader.shutdownNow();
    }
}
