package io.qrrefresher.common;

import java.time.Clock;
import java.time.Duration;

import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The error policies of routes/error-policy.yaml: {@code retry-on-next-trigger} (a route started by a timer, a schedule
 * or a queue failed, and its next trigger tries again) and {@code answer-api-errors} (an HTTP caller gets JSON with the
 * reason). One WARN line per route per minute, without a stack trace (a database that is down would otherwise print
 * one every few seconds); the rest at DEBUG.
 */
public final class RouteFailures {

    private static final Logger LOG = LoggerFactory.getLogger(RouteFailures.class);
    private static final Duration WARN_EVERY = Duration.ofMinutes(1);

    private final Clock clock;
    private final Function<String, String> routeDescriptions;
    private final OutageWatch outage;
    private final OncePer warnings = new OncePer(WARN_EVERY);

    /**
     * @param routeDescriptions a route's description by its id (null when it has none)
     * @param outage            a database outage being told: the same lost connection is not told again per route
     */
    public RouteFailures(Clock clock, Function<String, String> routeDescriptions,
                         OutageWatch outage) {
        this.clock = clock;
        this.routeDescriptions = routeDescriptions;
        this.outage = outage;
    }

    /**
     * Policy answer-api-errors: the HTTP caller gets JSON with the reason: 400 when PostgreSQL refused the request's
     * content (a NUL byte in a name, say: bad input, not an outage), 503 with Retry-After when the database did not
     * answer (nothing was done; try again), 500 otherwise; the log gets the route's WARN line (once a minute).
     */
    public JsonAnswer answer(String failedRoute, String fromRoute, Throwable error) {
        String routeId = failedRoute != null ? failedRoute : fromRoute;
        if (Failures.isContentRefused(error)) {
            warn(routeId, "answered 400", error);
            return JsonAnswer.error(400, "bad_request",
                    "the request's content cannot be used (SQLState " + Failures.sqlState(error) + ")");
        }
        boolean database = false;
        for (Throwable t = error; t != null; t = t.getCause()) {
            database |= t instanceof java.sql.SQLException
                    || t.getClass().getName().startsWith("org.springframework.dao.")
                    || t.getClass().getName().startsWith("org.springframework.jdbc.");
        }
        if (database) {
            warn(routeId, "answered 503", error);
            return JsonAnswer.error(503, "database_unavailable",
                    "the database does not answer; nothing was changed, retry in a few seconds");
        }
        warn(routeId, "answered 500", error);
        return JsonAnswer.error(500, "internal_error", Failures.describe(error));
    }

    /** Policy retry-on-next-trigger: the route's WARN line (once a minute); its next trigger tries again. */
    public void log(String failedRoute, String fromRoute, Throwable error) {
        warn(failedRoute != null ? failedRoute : fromRoute, "its next trigger retries", error);
    }

    private void warn(String routeId, String outcome, Throwable error) {
        String description = routeId == null ? null : routeDescriptions.apply(routeId);
        String what = description == null ? String.valueOf(routeId) : routeId + " (" + description + ")";
        String reason = Failures.describe(error);
        if (outage != null && outage.isDown() && Failures.isLostConnection(error)) {
            // the outage is told once a minute for all routes (DatabaseOutage)
            outage.leftOut();
            LOG.debug("{} failed during the database outage, {}: {}", what, outcome, reason);
            return;
        }
        if (warnings.due(String.valueOf(routeId), clock.instant())) {
            LOG.warn("{} failed, {}: {}", what, outcome, reason);
        } else {
            LOG.debug("{} failed again: {}", what, reason);
        }
    }
}
