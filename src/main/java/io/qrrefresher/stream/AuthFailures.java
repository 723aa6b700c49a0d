package io.qrrefresher.stream;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.qrrefresher.common.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Failed authentications of the browser-facing endpoints (live stream, "get a new code") per client address, in
 * one-minute windows: past the allowance, that address is answered 429 on both until its window ends. The table is
 * bounded: windows that ended are dropped at each new minute, and past {@value #MAX_ADDRESSES} addresses new ones are
 * not tracked (they are still refused without a query). Refusals are logged at most once every 10 s, with the number
 * left out, so that a flood of bad tokens is one line, not thousands.
 */
public final class AuthFailures {

    static final int MAX_ADDRESSES = 100_000;
    private static final long WINDOW_SECONDS = 60;
    private static final long LOG_INTERVAL_MILLIS = 10_000;
    private static final Logger LOG = LoggerFactory.getLogger(AuthFailures.class);

    private record Window(long minute, AtomicInteger failures) {
    }

    private final int allowedPerMinute;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private volatile long prunedMinute;
    private final AtomicLong refusalsNotLogged = new AtomicLong();
    private volatile long lastLog;

    public AuthFailures(int allowedPerMinute) {
        this.allowedPerMinute = allowedPerMinute;
    }

    /** Counts a refused credential for {@code what} (e.g. "Live stream") of {@code instanceName}, and logs it. */
    void refused(String what, String instanceName, String address, Instant now) {
        failed(address, now);
        long time = now.toEpochMilli();
        if (time - lastLog >= LOG_INTERVAL_MILLIS) {
            lastLog = time;
            long more = refusalsNotLogged.getAndSet(0);
            LOG.warn("{} refused: no valid credential for instance '{}' from {}{}", what,
                    Failures.printable(instanceName, 64), address,
                    more == 0 ? "" : " (and " + more + " more refusals in the last seconds)");
        } else {
            refusalsNotLogged.incrementAndGet();
        }
    }

    /** Seconds until the address may try again, or 0 when it may now. */
    long retryAfterSeconds(String address, Instant now) {
        Window window = windows.get(address);
        long minute = now.getEpochSecond() / WINDOW_SECONDS;
        if (window == null || window.minute() != minute || window.failures().get() < allowedPerMinute) {
            return 0;
        }
        return Math.max(1, (minute + 1) * WINDOW_SECONDS - now.getEpochSecond());
    }

    void failed(String address, Instant now) {
        long minute = now.getEpochSecond() / WINDOW_SECONDS;
        if (minute != prunedMinute) {
            prunedMinute = minute;
            windows.values().removeIf(w -> w.minute() != minute);
        }
        if (windows.size() >= MAX_ADDRESSES && !windows.containsKey(address)) {
            return;
        }
        windows.compute(address, (key, window) -> {
            if (window == null || window.minute() != minute) {
                return new Window(minute, new AtomicInteger(1));
            }
            window.failures().incrementAndGet();
            return window;
        });
    }
}
