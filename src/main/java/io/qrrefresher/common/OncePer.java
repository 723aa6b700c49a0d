package io.qrrefresher.common;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * At most once per interval, per key: what keeps a failure that repeats every few seconds (a route's, a lost database,
 * a LISTEN connection that cannot be rebuilt) to one WARN line a minute. Keys are the service's own names (route ids,
 * fixed words), never client data.
 */
public final class OncePer {

    private final Duration interval;
    private final Map<String, Instant> last = new ConcurrentHashMap<>();

    public OncePer(Duration interval) {
        this.interval = interval;
    }

    /** Whether {@code key} may be told at {@code now}: the first time, or an interval after it last was; noted if so. */
    public boolean due(String key, Instant now) {
        boolean[] due = {false};
        last.compute(key, (name, previous) -> {
            if (previous == null || !now.isBefore(previous.plus(interval))) {
                due[0] = true;
                return now;
            }
            return previous;
        });
        return due[0];
    }

    /** Forgets {@code key}: the next {@link #due} is true (the thing ended, and a new one is told at once). */
    public void reset(String key) {
        last.remove(key);
    }
}
