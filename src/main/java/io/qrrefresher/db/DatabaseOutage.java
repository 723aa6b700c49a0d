package io.qrrefresher.db;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import io.qrrefresher.common.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A database outage, told in a few lines: one WARN when PostgreSQL stops answering, one a minute while it lasts, one
 * INFO when it answers again, fed by the database probe (every second). Meanwhile what each route, the pool and
 * Quartz's job store would say of the same lost connection is left out of the WARN level ({@link #isDown()},
 * {@link #isLostConnection}): without it a 12 s outage wrote 142 lines, two with Quartz's stack traces.
 */
public final class DatabaseOutage implements io.qrrefresher.common.OutageWatch {

    /** How often a lasting outage is told again. */
    public static final Duration REMIND_EVERY = Duration.ofMinutes(1);

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseOutage.class);

    private final AtomicLong leftOut = new AtomicLong();
    private static final String OUTAGE = "outage";
    private final io.qrrefresher.common.OncePer told = new io.qrrefresher.common.OncePer(REMIND_EVERY);
    private Instant since;

    /** A check of the probe that succeeded. */
    public synchronized void reachable(Instant now) {
        if (since != null) {
            LOG.info("PostgreSQL answers again, after {} s unreachable{}", Duration.between(since, now).toSeconds(),
                    leftOut.get() == 0 ? "" : " (" + leftOut.get() + " reports of the same lost connection were"
                            + " logged at DEBUG only)");
            since = null;
            told.reset(OUTAGE);
            leftOut.set(0);
        }
    }

    /** The probe has had no successful check for a while: {@code problem} says why. */
    public synchronized void unreachable(Instant now, String problem) {
        if (since == null) {
            since = now;
            told.due(OUTAGE, now);
            LOG.warn("PostgreSQL is unreachable: {}. Runs, webhooks, streams and alerts wait for it; this is told once"
                    + " a minute while it lasts", problem);
        } else if (told.due(OUTAGE, now)) {
            LOG.warn("PostgreSQL still unreachable after {} s: {}", Duration.between(since, now).toSeconds(),
                    problem);
        }
    }

    /** Whether an outage has been told and has not ended. */
    @Override
    public synchronized boolean isDown() {
        return since != null;
    }

    /** Counts a report of the lost connection that was kept out of the WARN level. */
    @Override
    public void leftOut() {
        leftOut.incrementAndGet();
    }

    /** Whether {@code failure} is a connection to PostgreSQL lost, refused or not obtained in time. */
    public static boolean isLostConnection(Throwable failure) {
        return Failures.isLostConnection(failure);
    }
}
