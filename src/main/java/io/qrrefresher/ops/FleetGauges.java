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
    private final java.util.function.Supplier<java.util.List<String>> serverNames;
    private final java.util.function.UnaryOperator<String> serverOf;
    private io.micrometer.core.instrument.MultiGauge serverConnecting;
    private io.micrometer.core.instrument.MultiGauge serverFresh;

    public FleetGauges(DataSource dataSource) {
        this(dataSource, java.util.List::of, name -> name);
    }

    /**
     * @param serverNames the Evolution servers (each gets its gauges, 0 when it has no connecting instance)
     * @param serverOf    the server a row's resolved server column names ("": none, the default server)
     */
    public FleetGauges(DataSource dataSource, java.util.function.Supplier<java.util.List<String>> serverNames,
                       java.util.function.UnaryOperator<String> serverOf) {
        this.dataSource = dataSource;
        this.serverNames = serverNames;
        this.serverOf = serverOf;
    }

    public void register(QrMetrics metrics) {
        metrics.gauge("qr_refresher.connecting.instances", "Instances waiting for a scan (status connecting)", null,
                () -> fresh() ? connecting : Double.NaN);
        metrics.gauge("qr_refresher.oldest.connecting.qr.age",
                "Age of the oldest QR code (or of the row's last change, when it has none) among connecting instances", "seconds",
                () -> fresh() ? oldestQrAgeSeconds : Double.NaN);
        serverConnecting = io.micrometer.core.instrument.MultiGauge.builder("qr_refresher.server.connecting.instances")
                .description("Instances waiting for a scan, per Evolution server (named by the row, else by the"
                        + " servers' lists)").register(metrics.registry());
        serverFresh = io.micrometer.core.instrument.MultiGauge.builder("qr_refresher.server.fresh.instances")
                .description("Of those, the instances whose stored QR has not expired, per Evolution server")
                .register(metrics.registry());
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
        readServers();
    }

    /** Per server: connecting instances and those whose QR has not expired; no rows while the database is away. */
    private void readServers() {
        if (serverConnecting == null) {
            return;
        }
        java.util.Map<String, long[]> counts = new java.util.LinkedHashMap<>();
        serverNames.get().forEach(name -> counts.put(name, new long[2]));
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT COALESCE(w.evolution_server, ''), count(*),"
                             + " count(*) FILTER (WHERE w.qr_expires_at > now())"
                             + " FROM qr_refresher.instance_waits w WHERE w.instance_status = 'connecting'"
                             + " GROUP BY COALESCE(w.evolution_server, '')")) {
            statement.setQueryTimeout(2);
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    long[] count = counts.computeIfAbsent(serverOf.apply(rs.getString(1)), key -> new long[2]);
                    count[0] += rs.getLong(2);
                    count[1] += rs.getLong(3);
                }
            }
        } catch (Exception e) {
            counts.clear();
        }
        java.util.List<io.micrometer.core.instrument.MultiGauge.Row<?>> connectingRows = new java.util.ArrayList<>();
        java.util.List<io.micrometer.core.instrument.MultiGauge.Row<?>> freshRows = new java.util.ArrayList<>();
        counts.forEach((server, count) -> {
            connectingRows.add(io.micrometer.core.instrument.MultiGauge.Row.of(
                    io.micrometer.core.instrument.Tags.of("server", server), count[0]));
            freshRows.add(io.micrometer.core.instrument.MultiGauge.Row.of(
                    io.micrometer.core.instrument.Tags.of("server", server), count[1]));
        });
        serverConnecting.register(connectingRows, true);
        serverFresh.register(freshRows, true);
    }

    @Override
    public void close() {
        reader.shutdownNow();
    }
}
