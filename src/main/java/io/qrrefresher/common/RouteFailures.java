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
 * The log line of the error policy {@code retry-on-next-trigger} (routes/error-policy.yaml): a route started by a
 * timer, a schedule or a queue failed, and its next trigger tries again. One WARN line per route per minute, without
 * a stack trace (a database that is down would otherwise print one every few seconds); the rest at DEBUG.
 */
public final class RouteFailures {

    private static final Logger LOG = LoggerFactory.getLogger(RouteFailures.class);
    private static final Duration WARN_EVERY = Duration.ofMinutes(1);

    private final Clock clock;
    private final Map<String, Instant> lastWarning = new ConcurrentHashMap<>();

    public RouteFailures(Clock clock) {
        this.clock = clock;
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
            LOG.warn("{} failed, its next trigger retries: {}", what, reason);
        } else {
            LOG.debug("{} failed again: {}", what, reason);
        }
    }
}
