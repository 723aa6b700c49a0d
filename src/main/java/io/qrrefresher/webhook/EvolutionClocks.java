package io.qrrefresher.webhook;

import java.util.ArrayDeque;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.LinkedHashMap;

import io.qrrefresher.access.Secrets;

/**
 * How late a webhook arrived. Evolution stamps events with its local time plus a fake "Z" (hours off real UTC), so
 * the lateness of one event is its apparent delay minus the smallest apparent delay seen from the same server
 * recently: that smallest one is the time-zone offset plus a normal delivery. When Evolution's clock itself moves
 * back (a daylight-saving change, a new TZ), every event looks equally late; three late events in a row whose
 * lateness agrees within five seconds are taken as the new normal. Late retries after an outage do not agree: each
 * was sent at a different time.
 */
final class EvolutionClocks {

    private static final Duration MEMORY = Duration.ofHours(1);
    /** Time zones span UTC-12 to UTC+14: a date_time further than this from the arrival is not a clock. */
    static final Duration PLAUSIBLE_CLOCK_OFFSET = Duration.ofHours(15);
    private static final int SHIFT_EVIDENCE = 3;
    private static final long SHIFT_TOLERANCE_MILLIS = 5_000;

    /** Servers remembered at most (the least recently heard is forgotten first): a bound on memory. */
    static final int MAX_SERVERS = 1024;
    /** Longer keys are remembered by their hash: a key never costs more than this many characters. */
    static final int MAX_KEY_LENGTH = 256;

    private final Map<String, Offset> offsets = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Offset> eldest) {
            return size() > MAX_SERVERS;
        }
    };

    /**
     * How much later than a normal delivery an event of {@code server} arrived, judged against {@code tolerated}:
     * lateness beyond it counts as evidence of a clock shift.
     */
    Duration lateness(String server, Instant eventTime, Instant receivedAt, Duration tolerated) {
        Offset offset;
        synchronized (offsets) {
            offset = offsets.computeIfAbsent(boundedKey(server), key -> new Offset());
        }
        return offset.lateness(eventTime, receivedAt, tolerated);
    }

    /** How many servers are remembered (at most {@link #MAX_SERVERS}). */
    int size() {
        synchronized (offsets) {
            return offsets.size();
        }
    }

    private static String boundedKey(String server) {
        return server.length() <= MAX_KEY_LENGTH ? server
                : "sha256:" + java.util.HexFormat.of().formatHex(Secrets.sha256(server));
    }

    private static final class Offset {
        private long smallestDelayMillis;
        private Instant seenAt;
        private final ArrayDeque<Long> recentLateness = new ArrayDeque<>();
        private final ArrayDeque<Long> recentEarly = new ArrayDeque<>();

        synchronized Duration lateness(Instant eventTime, Instant receivedAt, Duration tolerated) {
            long delay = receivedAt.toEpochMilli() - eventTime.toEpochMilli();
            if (Math.abs(delay) > PLAUSIBLE_CLOCK_OFFSET.toMillis()) {
                // further from the arrival than any time zone: no clock at all (a forged or broken date_time);
                // taken as on time, and never learnt
                return Duration.ZERO;
            }
            if (seenAt == null || seenAt.isBefore(receivedAt.minus(MEMORY))) {
                remember(delay, receivedAt);
                return Duration.ZERO;
            }
            if (delay < smallestDelayMillis - tolerated.toMillis()) {
                // an event from the future: a forged date_time, or Evolution's clock moved forward. Not late; it
                // becomes the new normal only when three such events agree, so one bad date cannot make every
                // genuine event after it look late
                recentLateness.clear();
                if (agreesWithTheLast(recentEarly, delay)) {
                    remember(delay, receivedAt);
                }
                return Duration.ZERO;
            }
            recentEarly.clear();
            if (delay <= smallestDelayMillis) {
                remember(delay, receivedAt);
                return Duration.ZERO;
            }
            long lateness = delay - smallestDelayMillis;
            if (lateness <= tolerated.toMillis()) {
                recentLateness.clear();
                return Duration.ofMillis(lateness);
            }
            if (agreesWithTheLast(recentLateness, lateness)) {
                remember(delay, receivedAt);
                return Duration.ZERO;
            }
            return Duration.ofMillis(lateness);
        }

        private void remember(long delay, Instant receivedAt) {
            smallestDelayMillis = delay;
            seenAt = receivedAt;
            recentLateness.clear();
            recentEarly.clear();
        }

        /** Adds {@code value} to {@code recent}: true once the last three values agree within the tolerance. */
        private static boolean agreesWithTheLast(ArrayDeque<Long> recent, long value) {
            recent.addLast(value);
            if (recent.size() > SHIFT_EVIDENCE) {
                recent.removeFirst();
            }
            long spread = recent.stream().mapToLong(Long::longValue).max().orElse(0)
                    - recent.stream().mapToLong(Long::longValue).min().orElse(0);
            return recent.size() == SHIFT_EVIDENCE && spread <= SHIFT_TOLERANCE_MILLIS;
        }
    }
}
