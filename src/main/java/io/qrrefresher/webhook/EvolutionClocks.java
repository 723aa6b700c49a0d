package io.qrrefresher.webhook;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How late a webhook arrived. Evolution stamps events with its local time plus a fake "Z" (hours off real UTC), so
 * the lateness of one event is its apparent delay minus the smallest apparent delay seen from the same server
 * recently: that smallest one is the time-zone offset plus a normal delivery.
 */
final class EvolutionClocks {

    private static final Duration MEMORY = Duration.ofHours(1);

    private final Map<String, Offset> offsets = new ConcurrentHashMap<>();

    Duration lateness(String server, Instant eventTime, Instant receivedAt) {
        return offsets.computeIfAbsent(server, key -> new Offset()).lateness(eventTime, receivedAt);
    }

    private static final class Offset {
        private long smallestDelayMillis;
        private Instant seenAt;

        synchronized Duration lateness(Instant eventTime, Instant receivedAt) {
            long delay = receivedAt.toEpochMilli() - eventTime.toEpochMilli();
            if (seenAt == null || delay <= smallestDelayMillis || seenAt.isBefore(receivedAt.minus(MEMORY))) {
                smallestDelayMillis = delay;
                seenAt = receivedAt;
            }
            return Duration.ofMillis(delay - smallestDelayMillis);
        }
    }
}
