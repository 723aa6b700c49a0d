package io.qrrefresher.refresh;

import java.sql.Timestamp;
import java.text.ParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;

import io.qrrefresher.common.RouteContract;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.qrrefresher.common.JsonAnswer;
import io.qrrefresher.config.Settings;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.component.http.HttpEndpoint;
import org.apache.camel.component.quartz.QuartzComponent;
import org.apache.camel.component.quartz.QuartzEndpoint;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.quartz.CronExpression;
import org.quartz.CronScheduleBuilder;
import org.quartz.Scheduler;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.TriggerKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pause, resume and retune the refresh without a restart, kept in {@code qr_refresher.refresh_control} so that every
 * replica and every restart sees it (route {@code watch-refresh-control} reads the row every few seconds). Applying a
 * change suspends or resumes the route {@code refresh-qr-codes}, reschedules its Quartz trigger, and resizes the
 * refresh pool, the HTTP connections per route and the database pool. A suspend, resume, stop or start of that route
 * done from JMX (hawtio, jconsole) is noticed on the next read and saved as an operator's pause or resume.
 */
public final class RefreshControl {

    public static final String ROUTE_ID = RouteContract.REFRESH_SCHEDULE_ROUTE;
    private static final Logger LOG = LoggerFactory.getLogger(RefreshControl.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the refresh runs with (plain getters: the routes read them with simple expressions). */
    public static final class Values {
        private final boolean active;
        private final String cron;
        private final int concurrency;
        private final int limit;

        public Values(boolean active, String cron, int concurrency, int limit) {
            this.active = active;
            this.cron = cron;
            this.concurrency = concurrency;
            this.limit = limit;
        }

        public boolean isActive() {
            return active;
        }

        public String getCron() {
            return cron;
        }

        public int getConcurrency() {
            return concurrency;
        }

        public int getLimit() {
            return limit;
        }
    }

    private final CamelContext camelContext;
    private final Values configured;
    private final boolean poolSizeConfigured;
    private final java.time.Duration minInterval;
    private volatile Values current;
    private volatile long appliedVersion;
    private volatile String changedBy;
    private volatile Timestamp changedAt;
    private volatile boolean applying;
    // whether what is in force at start was logged
    private volatile boolean reported;

    public RefreshControl(CamelContext camelContext, Settings.Refresh settings, boolean poolSizeConfigured) {
        this.camelContext = camelContext;
        this.configured = new Values(true, settings.cron(), settings.concurrency(), settings.limit());
        this.minInterval = settings.minInterval();
        this.current = configured;
        this.poolSizeConfigured = poolSizeConfigured;
    }

    public Values current() {
        return current;
    }

    public boolean isPaused() {
        return !current.isActive();
    }

    /**
     * The fields a change sets; null: the stored value stays. Saved field by field over the stored row (route
     * {@code change-refresh-control}), so that two operators, or two replicas, changing different fields at the same
     * moment both keep their change, whatever this replica had read of the row.
     */
    public record Given(Boolean active, String cron, Integer concurrency, Integer limit) {
        Values over(Values base) {
            return new Values(active == null ? base.isActive() : active, cron == null ? base.getCron() : cron,
                    concurrency == null ? base.getConcurrency() : concurrency, limit == null ? base.getLimit() : limit);
        }

        String describe() {
            List<String> parts = new java.util.ArrayList<>();
            if (active != null) {
                parts.add(active ? "active" : "paused");
            }
            if (cron != null) {
                parts.add("cron '" + cron + "'");
            }
            if (concurrency != null) {
                parts.add("concurrency " + concurrency);
            }
            if (limit != null) {
                parts.add("limit " + (limit == 0 ? "none" : limit));
            }
            return String.join(", ", parts);
        }
    }

    /**
     * Who asks for which change: {@code action} is pause, resume, update or reset. {@code observed}: the change was
     * seen on the route (an operator suspended or resumed it over JMX), so saving it must not steer the route again.
     */
    public record ControlRequest(String action, String by, boolean observed) {
    }

    /**
     * A change ready to save (route {@code change-refresh-control}): the values, the line for the history, who made
     * it; or the {@code problem} with the request (answered 400).
     */
    public record ControlChange(String action, Values values, Given given, String change, String by, boolean observed,
            String problem) {
        static ControlChange refused(ControlRequest request, String problem) {
            return new ControlChange(request.action(), null, null, null, request.by(), request.observed(), problem);
        }
    }

    /**
     * An operator's request over the admin API: {@code changedBy} is the optional X-Changed-By header, {@code from} the
     * caller's address.
     */
    public ControlRequest request(String action, String changedBy, Object from) {
        String by = (changedBy == null || changedBy.isBlank() ? "admin API"
                : changedBy.replaceAll("\\p{Cntrl}", " ").trim())
                + (from == null ? "" : " from " + from.toString().replaceFirst(":\\d+$", ""));
        return new ControlRequest(action, by.length() > 200 ? by.substring(0, 200) : by, false);
    }

    /**
     * Route {@code watch-refresh-control}: the row (a Map) or null. Applies it when it changed; otherwise, when the
     * route's state no longer matches (someone used JMX), returns the request that saves it (else null).
     */
    public ControlRequest sync(Map<?, ?> row) {
        if (applyRow(row, true)) {
            return null;
        }
        if (applying) {
            // this process is suspending or resuming the route itself: that is not an operator's action
            return null;
        }
        ServiceStatus status = camelContext.getRouteController().getRouteStatus(ROUTE_ID);
        boolean running = status == ServiceStatus.Started;
        boolean halted = status == ServiceStatus.Suspended || status == ServiceStatus.Stopped;
        if (current.isActive() && halted) {
            return new ControlRequest("pause", "JMX (route " + status.name().toLowerCase() + ")", true);
        }
        if (!current.isActive() && running) {
            return new ControlRequest("resume", "JMX (route started)", true);
        }
        return null;
    }

    /**
     * Applies the stored row when it is not the one in force; true when something was applied. Synchronized with
     * {@link #apply}: an operator's request whose row the watcher is applying at that moment (suspending the route
     * waits for a run in flight) waits for it, and answers with the route's state once it is applied.
     * {@code steerRoute} false: the row records what an operator did to the route over JMX; the route is left as it
     * is now (the operator may have undone it meanwhile: the next read then saves that too).
     */
    private synchronized boolean applyRow(Map<?, ?> row, boolean steerRoute) {
        if (row == null || row.isEmpty()) {
            if (!reported) {
                reported = true;
                LOG.info("Refresh control in force: the configuration ({}); nothing stored by PUT /refresh-control",
                        describe(configured));
            }
            if (appliedVersion != 0) {
                LOG.info("Refresh control reset to the configuration (by another replica or an operator)");
                apply(configured, 0, null, null, true);
                return true;
            }
            return false;
        }
        long version = ((Number) row.get("version")).longValue();
        if (version == appliedVersion) {
            return false;
        }
        Values values = values(row);
        if (appliedVersion == 0) {
            LOG.info("Refresh control in force: stored in the database, instead of the configuration ({}): {} ({} by"
                    + " {} at {})", describe(configured), describe(values), row.get("change"), row.get("changed_by"),
                    row.get("changed_at"));
            reported = true;
        }
        apply(values, version, (String) row.get("changed_by"), (Timestamp) row.get("changed_at"), steerRoute);
        return true;
    }

    /**
     * Turns a request (update: the JSON {@code body}, sent as {@code contentType}) into the values to save, or the
     * problem with it.
     */
    public ControlChange prepareChange(ControlRequest request, String contentType, String body) {
        Values base = current;
        Given given;
        String change;
        switch (request.action()) {
            case "pause" -> {
                given = new Given(false, null, null, null);
                change = "refresh paused";
            }
            case "resume" -> {
                given = new Given(true, null, null, null);
                change = "refresh resumed";
            }
            case "reset" -> {
                return new ControlChange(request.action(), configured, null,
                        "refresh control reset to the configuration", request.by(), request.observed(), null);
            }
            default -> {
                String type = contentType == null ? "" : contentType;
                if (!type.isEmpty() && !type.toLowerCase().contains("json")) {
                    return ControlChange.refused(request, "send the change as JSON (Content-Type:"
                            + " application/json, not " + type.split(";")[0] + ")");
                }
                try {
                    given = given(body);
                } catch (IllegalArgumentException e) {
                    return ControlChange.refused(request, e.getMessage());
                }
                change = "refresh changed: " + given.describe();
            }
        }
        // values: the whole row when none is stored yet; given: what changes in a stored row
        return new ControlChange(request.action(), given.over(base), given, change, request.by(), request.observed(),
                null);
    }

    /** After the save ({@code saved}: the stored row; none on a reset): applies it at once, other replicas follow. */
    public void changed(ControlChange change, Object saved) {
        if ("reset".equals(change.action())) {
            apply(configured, 0, null, null, true);
        } else if (saved instanceof Map<?, ?> row) {
            applyRow(row, !change.observed());
        }
        LOG.info("{} by {}", change.change(), change.by());
    }

    /**
     * Answers an operator: the problem of the change (400); else what this request stored ({@code saved}, the row its
     * own statement returned, with its version), so that concurrent requests each get their own result; else (a
     * read, or a reset) the control now in force.
     */
    public JsonAnswer answerStored(ControlChange change, Object saved) {
        if (change != null && change.problem() != null) {
            return JsonAnswer.error(400, "bad_request", change.problem());
        }
        if (saved instanceof Map<?, ?> row && row.get("version") instanceof Number version) {
            return JsonAnswer.ok(body(values(row), version.longValue(), (String) row.get("changed_by"),
                    (Timestamp) row.get("changed_at")));
        }
        return answer(change);
    }

    /** Answers an operator: the problem of the change (400), or the control now in force. */
    public JsonAnswer answer(ControlChange change) {
        if (change != null && change.problem() != null) {
            return JsonAnswer.error(400, "bad_request", change.problem());
        }
        return JsonAnswer.ok(body(current, appliedVersion, changedBy, changedAt));
    }

    /** The control's values, where they come from ({@code version} 0: the configuration), who changed them, when. */
    private Map<String, Object> body(Values values, long version, String by, Timestamp at) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("active", values.isActive());
        body.put("cron", values.getCron());
        body.put("concurrency", values.getConcurrency());
        body.put("limit", values.getLimit());
        body.put("source", version == 0 ? "configuration" : "database");
        if (version != 0) {
            body.put("version", version);
        }
        body.put("changed_by", by);
        body.put("changed_at", at == null ? null : at.toInstant().toString());
        body.put("route_status", routeStatus());
        return body;
    }

    /** The values of a row of qr_refresher.refresh_control. */
    private static Values values(Map<?, ?> row) {
        return new Values((Boolean) row.get("active"), (String) row.get("cron"),
                ((Number) row.get("concurrency")).intValue(), ((Number) row.get("instance_limit")).intValue());
    }

    private synchronized void apply(Values values, long version, String by, Timestamp at, boolean steerRoute) {
        Values before = current;
        applying = true;
        try {
            if (!values.getCron().equals(before.getCron())) {
                reschedule(values.getCron());
            }
            if (values.getConcurrency() != before.getConcurrency()) {
                resize(values.getConcurrency());
            }
            current = values;
            appliedVersion = version;
            changedBy = by;
            changedAt = at;
            if (steerRoute) {
                setActive(values.isActive());
            }
        } finally {
            applying = false;
        }
    }

    private void setActive(boolean active) {
        Route route = camelContext.getRoute(ROUTE_ID);
        if (route == null) {
            return;
        }
        try {
            ServiceStatus status = camelContext.getRouteController().getRouteStatus(ROUTE_ID);
            if (!active && status == ServiceStatus.Started) {
                camelContext.getRouteController().suspendRoute(ROUTE_ID);
            } else if (active && status == ServiceStatus.Suspended) {
                camelContext.getRouteController().resumeRoute(ROUTE_ID);
            } else if (active && status == ServiceStatus.Stopped) {
                camelContext.getRouteController().startRoute(ROUTE_ID);
            }
            if (!active) {
                // a rescheduled trigger starts unpaused
                scheduler().pauseTrigger(triggerKey());
            }
        } catch (Exception e) {
            throw new IllegalStateException("Cannot " + (active ? "resume" : "pause") + " the refresh: "
                    + e.getMessage(), e);
        }
    }

    private void reschedule(String cron) {
        try {
            Scheduler scheduler = scheduler();
            TriggerKey key = triggerKey();
            Trigger old = scheduler.getTrigger(key);
            if (old != null) {
                Trigger trigger = TriggerBuilder.newTrigger().withIdentity(key).forJob(old.getJobKey())
                        .withSchedule(CronScheduleBuilder.cronSchedule(cron)
                                .withMisfireHandlingInstructionFireAndProceed())
                        .build();
                scheduler.rescheduleJob(key, trigger);
            }
            Route route = camelContext.getRoute(ROUTE_ID);
            if (route != null && route.getEndpoint() instanceof QuartzEndpoint endpoint) {
                endpoint.setCron(cron);
            }
        } catch (Exception e) {
            throw new IllegalStateException("Cannot reschedule the refresh to '" + cron + "': " + e.getMessage(), e);
        }
    }

    private void resize(int concurrency) {
        ExecutorService pool = camelContext.getRegistry().lookupByNameAndType("refreshPool", ExecutorService.class);
        if (pool instanceof ThreadPoolExecutor executor) {
            if (concurrency > executor.getMaximumPoolSize()) {
                executor.setMaximumPoolSize(concurrency);
                executor.setCorePoolSize(concurrency);
            } else {
                executor.setCorePoolSize(concurrency);
                executor.setMaximumPoolSize(concurrency);
            }
        }
        // each HTTP endpoint (Evolution API's, the alert webhook's) has its own connection pool
        for (Endpoint endpoint : camelContext.getEndpoints()) {
            if (endpoint instanceof HttpEndpoint http
                    && http.getClientConnectionManager() instanceof PoolingHttpClientConnectionManager connections) {
                connections.setDefaultMaxPerRoute(concurrency);
                connections.setMaxTotal(Math.max(connections.getMaxTotal(), concurrency * 2));
            }
        }
        HikariDataSource hikari = camelContext.getRegistry().lookupByNameAndType("dataSource", HikariDataSource.class);
        if (!poolSizeConfigured && hikari != null) {
            hikari.getHikariConfigMXBean().setMaximumPoolSize(concurrency + 6);
        }
    }

    private Scheduler scheduler() {
        return camelContext.getComponent("quartz", QuartzComponent.class).getScheduler();
    }

    private static TriggerKey triggerKey() {
        return TriggerKey.triggerKey(ROUTE_ID, "qr-refresher");
    }

    private String routeStatus() {
        ServiceStatus status = camelContext.getRouteController().getRouteStatus(ROUTE_ID);
        return status == null ? "unknown" : status.name().toLowerCase();
    }

    private Given given(String json) {
        JsonNode body;
        try {
            body = json == null || json.isBlank() ? null : JSON.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException("body is not JSON");
        }
        if (body == null || !body.isObject() || body.isEmpty()) {
            throw new IllegalArgumentException("expected a JSON object with cron, concurrency and/or limit");
        }
        body.fieldNames().forEachRemaining(field -> {
            if (!List.of("cron", "concurrency", "limit", "active").contains(field)) {
                throw new IllegalArgumentException("unknown field '" + field + "' (cron, concurrency, limit, active)");
            }
        });
        String cron = null;
        if (body.has("cron")) {
            if (!body.get("cron").isTextual()) {
                throw new IllegalArgumentException("cron must be a Quartz cron expression as a string");
            }
            cron = body.get("cron").asText();
            CronExpression expression;
            try {
                expression = new CronExpression(cron);
            } catch (ParseException e) {
                throw new IllegalArgumentException("cron '" + cron + "' is not a valid Quartz cron expression: "
                        + e.getMessage() + " (seconds first: '0 * * * * ?' is every minute)");
            }
            // Quartz refuses to schedule a trigger that never fires: refused here, before anything is saved
            if (expression.getNextValidTimeAfter(new java.util.Date()) == null) {
                throw new IllegalArgumentException("cron '" + cron + "' never fires again (a date in the past?)");
            }
            String tooFrequent = Settings.Refresh.tooFrequent(cron, minInterval);
            if (tooFrequent != null) {
                throw new IllegalArgumentException("cron " + tooFrequent);
            }
        }
        Integer concurrency = number(body, "concurrency", 1, 512);
        Integer limit = number(body, "limit", 0, Integer.MAX_VALUE);
        if (body.has("active") && !body.get("active").isBoolean()) {
            throw new IllegalArgumentException("active must be true or false (a JSON boolean, not "
                    + body.get("active") + ")");
        }
        Boolean active = body.has("active") ? body.get("active").asBoolean() : null;
        return new Given(active, cron, concurrency, limit);
    }

    private static Integer number(JsonNode body, String field, int min, int max) {
        if (!body.has(field)) {
            return null;
        }
        JsonNode value = body.get(field);
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < min || value.asInt() > max) {
            throw new IllegalArgumentException(field + " must be a whole number from " + min + " to " + max);
        }
        return value.asInt();
    }

    static String describe(Values values) {
        return (values.isActive() ? "active" : "paused") + ", cron '" + values.getCron() + "', concurrency "
                + values.getConcurrency() + ", limit " + (values.getLimit() == 0 ? "none" : values.getLimit());
    }
}
