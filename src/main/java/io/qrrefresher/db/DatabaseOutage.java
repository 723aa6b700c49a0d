package io.qrrefresher.db;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A database outage, told in a few lines: one WARN when PostgreSQL stops answering, one a minute while it lasts, one
 * INFO when it answers again, fed by the database probe (every second). Meanwhile what each route, the pool and
 * Quartz's job store would say of the same lost connection is left out of the WARN level ({@link #isDown()},
 * {@link #isLostConnection}): without it a 12 s outage wrote 142 lines, two with Quartz's stack traces.
 */
public final class DatabaseOutage {

    /** How often a lasting outage is told again. */
    public static final Duration REMIND_EVERY = Duration.ofMinutes(1);

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseOutage.class);
    // SQLSTATE classes and codes of a connection lost or refused: 08 (connection exception), 57P01-57P03 (the
    // server shuts down, or cannot accept connections yet)
    private static final Set<String> LOST_STATES = Set.of("57P01", "57P02", "57P03");

    private final AtomicLong leftOut = new AtomicLong();
    private Instant since;
    private Instant lastTold;

    /** A check of the probe that succeeded. */
    public synchronized void reachable(Instant now) {
        if (since != null) {
            LOG.info("PostgreSQL answers again, after {} s unreachable{}", Duration.between(since, now).toSeconds(),
                    leftOut.get() == 0 ? "" : " (" + leftOut.get() + " reports of the same lost connection were"
                            + " logged at DEBUG only)");
            since = null;
            lastTold = null;
            leftOut.set(0);
        }
    }

    /** The probe has had no successful check for a while: {@code problem} says why. */
    public synchronized void unreachable(Instant now, String problem) {
        if (since == null) {
            since = now;
            lastTold = now;
            LOG.warn("PostgreSQL is unreachable: {}. Runs, webhooks, streams and alerts wait for it; this is told once"
                    + " a minute while it lasts", problem);
        } else if (!now.isBefore(lastTold.plus(REMIND_EVERY))) {
            lastTold = now;
            LOG.warn("PostgreSQL still unreachable after {} s: {}", Duration.between(since, now).toSeconds(),
                    problem);
        }
    }

    /** Whether an outage has been told and has not ended. */
    public synchronized boolean isDown() {
        return since != null;
    }

    /** Counts a report of the lost connection that was kept out of the WARN level. */
    public void leftOut() {
        leftOut.incrementAndGet();
    }

    /** Whether {@code failure} is a connection to PostgreSQL lost, refused or not obtained in time. */
    public static boolean isLostConnection(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof ConnectException) {
                return true;
            }
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || LOST_STATES.contains(sql.getSQLState()))) {
                return true;
            }
            String message = t.getMessage();
            if (message != null && (message.contains("Connection is not available")
                    || message.contains("Interrupted during connection acquisition")
                    || message.contains("Failed to obtain DB connection")
                    || message.contains("This connection has been closed"))) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
