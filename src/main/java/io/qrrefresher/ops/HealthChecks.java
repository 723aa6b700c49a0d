package io.qrrefresher.ops;

import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;


import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.quartz.CronExpression;

/**
 * The service's own health checks. Only the database decides readiness (the service can do nothing without it);
 * liveness fails only for what a restart cures: a blocked event loop or a wedged run. The others show in
 * {@code /observe/health}.
 */
public final class HealthChecks {

    private HealthChecks() {
    }

    /** DOWN while PostgreSQL does not answer: readiness. Answers at once from the probe's last check. */
    public static HealthCheck database(DatabaseProbe probe) {
        return new Check("database", true, builder -> {
            DatabaseProbe.Status status = probe.status();
            builder.detail("last_success", String.valueOf(status.lastSuccess()));
            if (status.up()) {
                builder.up();
            } else {
                builder.message(status.message()).down();
            }
        });
    }

    /**
     * DOWN while the circuit breaker around an Evolution server's calls is open: {@code evolution-circuit-breaker} for
     * the default server, {@code evolution-circuit-breaker-<server>} for the others.
     */
    public static HealthCheck evolutionCircuit(String server, CircuitBreaker breaker) {
        String id = "default".equals(server) ? "evolution-circuit-breaker" : "evolution-circuit-breaker-" + server;
        return new Check(id, false, builder -> {
            CircuitBreaker.State state = breaker.getState();
            builder.detail("state", state.name());
            builder.detail("failure_rate", breaker.getMetrics().getFailureRate());
            if (state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN) {
                builder.message("calls to the Evolution server '" + server + "' are suspended after repeated"
                        + " failures").down();
            } else {
                builder.up();
            }
        });
    }

    /**
     * DOWN when no refresh run succeeded for three schedule intervals (runs failing, or the schedule stuck); UP while
     * the refresh is paused on purpose.
     */
    public static HealthCheck lastSuccessfulRun(Supplier<Instant> lastSuccess, Supplier<String> cron,
                                                Supplier<Boolean> paused, Instant startedAt, Clock clock) {
        return new Check("last-refresh-run", false, builder -> {
            Instant last = lastSuccess.get();
            Instant now = clock.instant();
            Duration allowed = interval(cron.get(), now).multipliedBy(3);
            builder.detail("last_success", String.valueOf(last));
            builder.detail("allowed_age_seconds", allowed.toSeconds());
            Instant since = last != null ? last : startedAt;
            if (paused.get() || Duration.between(since, now).compareTo(allowed) <= 0) {
                builder.up();
            } else {
                builder.message("no refresh run succeeded for " + Duration.between(since, now).toSeconds() + " s")
                        .down();
            }
        });
    }

    /**
     * The scheduled refresh: readiness, UP whether it runs or is paused on purpose (REST, JMX, hawtio), so that a pause
     * never takes the service out of a load balancer; the details say which. Camel's own route and consumer checks of
     * that route are excluded (camel.health.exclude-pattern): they go DOWN on any suspension.
     */
    public static HealthCheck refreshSchedule(Supplier<Boolean> paused, Supplier<String> routeStatus,
                                              Supplier<String> webhooks) {
        return new Check("refresh-schedule", true, builder -> {
            boolean isPaused = paused.get();
            builder.detail("paused", isPaused);
            builder.detail("route_status", routeStatus.get());
            String webhookState = webhooks.get();
            builder.detail("webhooks", webhookState);
            builder.message((isPaused ? "paused: the scheduled refresh does not run (webhooks, manual runs and the API"
                    + " do)" : "running") + "; webhooks " + webhookState).up();
        });
    }

    /**
     * The routes that work in the background (timers, schedules, queues, LISTEN): informational, DOWN naming those an
     * operator stopped or suspended (from hawtio, say), but never readiness: Camel's own route checks of these routes
     * are excluded, so that stopping {@code deliver-alerts} does not take the API out of a load balancer.
     *
     * @param statuses each background route's id and status, read at each call
     */
    public static HealthCheck backgroundRoutes(Supplier<Map<String, String>> statuses) {
        return new Check("background-routes", false, builder -> {
            Map<String, String> routes = statuses.get();
            java.util.List<String> notRunning = routes.entrySet().stream()
                    .filter(route -> !"Started".equals(route.getValue()))
                    .map(route -> route.getKey() + " (" + route.getValue() + ")").toList();
            builder.detail("routes", String.join(", ", routes.keySet()));
            if (notRunning.isEmpty()) {
                builder.up();
            } else {
                builder.message("not running: " + String.join(", ", notRunning) + "; start them again from hawtio"
                        + " or JMX (readiness does not depend on them)").down();
            }
        });
    }

    /** UP while the service's own heartbeat NOTIFYs come back through its LISTEN connection (polling goes on without). */
    public static HealthCheck qrEventsListener(Supplier<Instant> lastHeartbeat, Supplier<Long> rebuilds,
                                               Supplier<Boolean> listening) {
        return new Check("qr-events-listener", false, builder -> {
            builder.detail("last_heartbeat", String.valueOf(lastHeartbeat.get()));
            builder.detail("rebuilds", rebuilds.get());
            if (listening.get()) {
                builder.up();
            } else {
                builder.message("no heartbeat came back through LISTEN qr_code_updated").down();
            }
        });
    }

    /**
     * Liveness: DOWN when an HTTP event loop has been blocked for {@link EventLoopProbe#STALLED_AFTER} (nothing is
     * answered any more), or when a refresh run has finished no instance for ten times the bound of one instance.
     */
    public static HealthCheck processResponsive(EventLoopProbe eventLoops, Function<Instant, Duration> runWithoutProgress,
                                                Duration instanceBound, Clock clock) {
        Duration stuckAfter = instanceBound.multipliedBy(10);
        return new Check("process-responsive", false, true, builder -> {
            Duration stall = eventLoops.longestStall();
            Duration runStall = runWithoutProgress.apply(clock.instant());
            builder.detail("event_loop_stall_ms", stall.toMillis());
            builder.detail("run_without_progress_s", runStall.toSeconds());
            if (stall.compareTo(EventLoopProbe.STALLED_AFTER) > 0) {
                builder.message("an HTTP event loop has been blocked for " + stall.toSeconds() + " s").down();
            } else if (runStall.compareTo(stuckAfter) > 0) {
                builder.message("the refresh run in progress finished no instance for " + runStall.toSeconds()
                        + " s (bound " + stuckAfter.toSeconds() + " s)").down();
            } else {
                builder.up();
            }
        });
    }

    /** The time between the next two fires of a Quartz cron. */
    static Duration interval(String cron, Instant now) {
        try {
            CronExpression expression = new CronExpression(cron);
            Date next = expression.getNextValidTimeAfter(Date.from(now));
            Date after = next == null ? null : expression.getNextValidTimeAfter(next);
            return next == null || after == null ? Duration.ofDays(365)
                    : Duration.ofMillis(after.getTime() - next.getTime());
        } catch (ParseException e) {
            return Duration.ofMinutes(1);
        }
    }

    private static final class Check extends AbstractHealthCheck {
        private final Consumer<HealthCheckResultBuilder> body;
        private final boolean readiness;
        private final boolean liveness;

        Check(String id, boolean readiness, Consumer<HealthCheckResultBuilder> body) {
            this(id, readiness, false, body);
        }

        Check(String id, boolean readiness, boolean liveness, Consumer<HealthCheckResultBuilder> body) {
            super("qr-refresher", id);
            this.body = body;
            this.readiness = readiness;
            this.liveness = liveness;
        }

        @Override
        public boolean isReadiness() {
            return readiness;
        }

        @Override
        public boolean isLiveness() {
            return liveness;
        }

        @Override
        protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
            // Camel calls a check that is neither READINESS: say what it decides, truthfully
            builder.detail(CHECK_KIND, readiness && liveness ? "ALL" : readiness ? "READINESS"
                    : liveness ? "LIVENESS" : "NONE (informational: /observe/health only)");
            body.accept(builder);
        }
    }
}
