package io.qrrefresher.stream;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import io.qrrefresher.common.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of pages refused for their origin (not in CORS_ALLOWED_ORIGINS): one line per origin per minute, so that
 * whoever embeds the widget on a new site finds the reason in the service's log. What a refused request leaves behind
 * is bounded whatever the callers send: at most {@link #MAX_ORIGINS} origins a minute are named (each cut to 100
 * printable characters), then one line counts the others; nothing is kept past the minute.
 */
final class RefusedOrigins {

    static final RefusedOrigins SHARED = new RefusedOrigins(Clock.systemUTC(), Duration.ofMinutes(1));
    static final int MAX_ORIGINS = 8;
    private static final Logger LOG = LoggerFactory.getLogger(RefusedOrigins.class);

    private final Clock clock;
    private final Duration interval;
    private final List<String> named = new ArrayList<>(MAX_ORIGINS);
    private Instant since = Instant.EPOCH;
    private boolean overflowSaid;

    RefusedOrigins(Clock clock, Duration interval) {
        this.clock = clock;
        this.interval = interval;
    }

    /** Notes a refusal; returns the line logged for it, or null when this minute's log already covers it. */
    synchronized String refused(String origin, String path) {
        Instant now = clock.instant();
        if (!now.isBefore(since.plus(interval))) {
            named.clear();
            overflowSaid = false;
            since = now;
        }
        String printable = Failures.printable(origin == null ? "" : origin, 100);
        if (named.contains(printable)) {
            return null;
        }
        String line;
        if (named.size() < MAX_ORIGINS) {
            named.add(printable);
            line = "A page of " + printable + " was refused (" + Failures.printable(path, 80) + "): its origin is not in"
                    + " CORS_ALLOWED_ORIGINS. If the site is yours, add exactly this origin; its widget shows"
                    + " 'origin not allowed' until then (logged once a minute per origin)";
        } else if (!overflowSaid) {
            overflowSaid = true;
            line = "Pages of more than " + MAX_ORIGINS + " origins not in CORS_ALLOWED_ORIGINS were refused this minute;"
                    + " the others are not named";
        } else {
            return null;
        }
        LOG.warn(line);
        return line;
    }
}
