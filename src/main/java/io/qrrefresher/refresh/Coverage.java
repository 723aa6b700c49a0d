package io.qrrefresher.refresh;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;

import io.qrrefresher.config.Settings;

/**
 * Poll only what webhooks miss: whether a run may skip an instance because Evolution's {@code qrcode.updated}
 * webhooks keep its QR current. A pure function of what the database holds, so replicas agree, and a table test
 * ({@code CoverageTest}).
 */
public final class Coverage {

    private final Settings.Coverage settings;

    public Coverage(Settings.Coverage settings) {
        this.settings = settings;
    }

    /** What a run does for one instance. */
    public enum Plan {
        /** connectionState, then connect while connecting: the full refresh. */
        POLL,
        /** Covered, but its safety read is due: connectionState only (a lost connection.update shows there). */
        SAFETY_READ,
        /** Covered: no call. */
        SKIP
    }

    public boolean isEnabled() {
        return settings.enabled();
    }

    /**
     * @param webhooksAlive some connecting instance got a webhook within one QR lifetime (else they have stopped, and
     *                      every instance is polled)
     */
    public Plan plan(ConnectingInstance instance, Instant now, boolean webhooksAlive) {
        boolean covered = settings.enabled() && webhooksAlive
                // the application asked for a QR, a failure or a close to confirm: the run has work to do
                && !instance.hasUnservedConnectRequest() && instance.getConsecutiveFailures() == 0
                && !instance.isCloseSeen()
                && within(instance.getLastWebhookAt(), settings.coveredFor(), now);
        if (!covered) {
            return Plan.POLL;
        }
        // the safety read: a missed connection.update (paired, closed) is found within readInterval
        return within(instance.getLastReadAt(), settings.readInterval(), now) ? Plan.SKIP : Plan.SAFETY_READ;
    }

    private static boolean within(OffsetDateTime time, Duration window, Instant now) {
        return time != null && time.toInstant().isAfter(now.minus(window));
    }
}
