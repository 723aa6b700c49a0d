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

    public boolean isEnabled() {
        return settings.enabled();
    }

    /**
     * @param webhooksAlive some connecting instance got a webhook within one QR lifetime (else they have stopped, and
     *                      every instance is polled)
     */
    public boolean covers(ConnectingInstance instance, Instant now, boolean webhooksAlive) {
        return settings.enabled() && webhooksAlive
                // the application asked for a QR, a failure or a close to confirm: the run has work to do
                && !instance.hasUnservedConnectRequest() && instance.getConsecutiveFailures() == 0
                && !instance.isCloseSeen()
                && within(instance.getLastWebhookAt(), settings.coveredFor(), now)
                // the safety read: a missed connection.update (paired, closed) is found within readInterval
                && within(instance.getLastReadAt(), settings.readInterval(), now);
    }

    private static boolean within(OffsetDateTime time, Duration window, Instant now) {
        return time != null && time.toInstant().isAfter(now.minus(window));
    }
}
