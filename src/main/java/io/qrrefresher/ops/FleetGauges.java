package io.qrrefresher.ops;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;

import javax.sql.DataSource;

/**
 * The gauges that need the database: connecting instances and the age of the oldest QR among them. Read at most
 * every ten seconds whatever the scrape rate, and NaN while the database is away.
 */
public final class FleetGauges {

    private static final Duration CACHE = Duration.ofSeconds(10);

    private final DataSource dataSource;
    private volatile long readAt;
    private volatile double connecting = Double.NaN;
    private volatile double oldestQrAgeSeconds = Double.NaN;

    public FleetGauges(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public void register(QrMetrics metrics) {
        metrics.gauge("qr_refresher.connecting.instances", "Instances waiting for a scan (status connecting)", null,
                () -> read().connecting);
        metrics.gauge("qr_refresher.oldest.connecting.qr.age",
                "Age of the oldest QR code (or of the row's last change, when it has none) among connecting instances", "seconds",
                () -> read().oldestQrAgeSeconds);
    }

    private synchronized FleetGauges read() {
        long now = System.nanoTime();
        if (readAt != 0 && now - readAt < CACHE.toNanos()) {
            return this;
        }
        readAt = now;
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
            }
        } catch (Exception e) {
            connecting = Double.NaN;
            oldestQrAgeSeconds = Double.NaN;
        }
        return this;
    }
}
