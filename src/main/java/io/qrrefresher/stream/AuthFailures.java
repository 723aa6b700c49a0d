package io.qrrefresher.stream;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Failed stream authentications per client address, in one-minute windows: past the allowance, that address is
 * answered 429 until its window ends. The table is bounded: windows that ended are dropped at each new minute, and
 * past {@value #MAX_ADDRESSES} addresses new ones are not tracked (they are still refused without a query).
 */
final class AuthFailures {

    static final int MAX_ADDRESSES = 100_000;
    private static final long WINDOW_SECONDS = 60;

    private record Window(long minute, AtomicInteger failures) {
    }

    private final int allowedPerMinute;
    private final Map<String, Window> windows = new ConcurrentHashMap<>();
    private volatile long prunedMinute;

    AuthFailures(int allowedPerMinute) {
        this.allowedPerMinute = allowedPerMinute;
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
