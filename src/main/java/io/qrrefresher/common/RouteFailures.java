package io.qrrefresher.common;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.camel.Exchange;
import org.apache.camel.Route;
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
    private static final String ANSWERED = "routeFailureAnswered";
    private static final Duration WARN_EVERY = Duration.ofMinutes(1);

    private final Clock clock;
    private final Map<String, Instant> lastWarning = new ConcurrentHashMap<>();

    public RouteFailures(Clock clock) {
        this.clock = clock;
    }

    /**
     * Policy answer-api-errors: the HTTP caller gets JSON with the reason: 400 when PostgreSQL refused the request's
     * content (a NUL byte in a name, say: bad input, not an outage), 503 with Retry-After when the database did not
     * answer (nothing was done; try again), 500 otherwise; the log gets the route's WARN line (once a minute).
     */
    public void answer(Exchange exchange) {
        Throwable error = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        if (Failures.isContentRefused(error)) {
            exchange.setProperty(ANSWERED, "answered 400");
            log(exchange);
            JsonAnswers.answer(exchange, 400, JsonAnswers.error("bad_request",
                    "the request's content cannot be used (SQLState " + Failures.sqlState(error) + ")"));
            return;
        }
        boolean database = false;
        for (Throwable t = error; t != null; t = t.getCause()) {
            database |= t instanceof java.sql.SQLException
                    || t.getClass().getName().startsWith("org.springframework.dao.")
                    || t.getClass().getName().startsWith("org.springframework.jdbc.");
        }
        exchange.setProperty(ANSWERED, database ? "answered 503" : "answered 500");
        log(exchange);
        if (database) {
            JsonAnswers.answer(exchange, 503, JsonAnswers.error("database_unavailable",
                    "the database does not answer; nothing was changed, retry in a few seconds"));
            exchange.getMessage().setHeader("Retry-After", "5");
        } else {
            JsonAnswers.answer(exchange, 500, JsonAnswers.error("internal_error", Failures.describe(error)));
        }
    }

    public void log(Exchange exchange) {
        String routeId = exchange.getProperty(Exchange.FAILURE_ROUTE_ID, exchange.getFromRouteId(), String.class);
        Route route = routeId == null ? null : exchange.getContext().getRoute(routeId);
        String what = route == null || route.getDescription() == null ? String.valueOf(routeId)
                : routeId + " (" + route.getDescription() + ")";
        String reason = Failures.describe(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        Instant now = clock.instant();
        Instant last = lastWarning.get(String.valueOf(routeId));
        if (last == null || !now.isBefore(last.plus(WARN_EVERY))) {
            lastWarning.put(String.valueOf(routeId), now);
            LOG.warn("{} failed, {}: {}", what, exchange.getProperty(ANSWERED, "its next trigger retries",
                    String.class), reason);
        } else {
            LOG.debug("{} failed again: {}", what, reason);
        }
    }
}
