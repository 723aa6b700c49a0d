package io.qrrefresher.ops;

import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import io.qrrefresher.common.Failures;

/**
 * Whether PostgreSQL answers, checked every second on a thread of its own, so that health answers at once whatever
 * the database does: a check that waits for a connection or a dead server never holds up {@code /observe/health}.
 */
public final class DatabaseProbe implements AutoCloseable {

    /** The database is DOWN when no check succeeded for this long. */
    public static final Duration STALE_AFTER = Duration.ofSeconds(3);

    public record Status(boolean up, String message, Instant lastSuccess) {
    }

    private final DataSource dataSource;
    private final Clock clock;
    private final Instant startedAt;
    private final io.qrrefresher.db.DatabaseOutage outage;
    private volatile Instant lastSuccess;
    private volatile String lastProblem = "not checked yet";
    private ScheduledExecutorService checker;

    public DatabaseProbe(DataSource dataSource, Clock clock, io.qrrefresher.db.DatabaseOutage outage) {
        this.dataSource = dataSource;
        this.clock = clock;
        this.startedAt = clock.instant();
        this.outage = outage;
    }

    public void start() {
        check();
        checker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "database-probe");
            thread.setDaemon(true);
            return thread;
        });
        checker.scheduleWithFixedDelay(this::check, 1, 1, TimeUnit.SECONDS);
    }

    void check() {
        try (Connection connection = dataSource.getConnection()) {
            if (connection.isValid(2)) {
                lastSuccess = clock.instant();
            } else {
                lastProblem = "PostgreSQL did not answer within 2 s";
            }
        } catch (Exception e) {
            lastProblem = "PostgreSQL unreachable: " + Failures.describe(e);
        }
        Status status = status();
        if (status.up()) {
            outage.reachable(clock.instant());
        } else {
            outage.unreachable(clock.instant(), lastProblem);
        }
    }

    /** The last known state, at once. */
    public Status status() {
        Instant success = lastSuccess;
        Instant now = clock.instant();
        if (success != null && Duration.between(success, now).compareTo(STALE_AFTER) <= 0) {
            return new Status(true, null, success);
        }
        long silentFor = Duration.between(success != null ? success : startedAt, now).toSeconds();
        return new Status(false, lastProblem + " (no successful check for " + silentFor + " s)", success);
    }

    @Override
    public void close() {
        if (checker != null) {
            checker.shutdownNow();
        }
    }
}
