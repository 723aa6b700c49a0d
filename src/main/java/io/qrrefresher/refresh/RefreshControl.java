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
import io.qrrefresher.common.JsonAnswers;
import io.qrrefresher.config.Settings;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.Exchange;
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
    private volatile Values current;
    private volatile long appliedVersion;
    private volatile String changedBy;
    private volatile Timestamp changedAt;
    private volatile boolean applying;

    public RefreshControl(CamelContext camelContext, Settings.Refresh settings, boolean poolSizeConfigured) {
        this.camelContext = camelContext;
        this.configured = new Values(true, settings.cron(), settings.concurrency(), settings.limit());
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
     * Route {@code watch-refresh-control}: the row (a Map) or null. Applies it when it changed; otherwise, when the
     * route's state no longer matches (someone used JMX), sets {@code controlAction} so that the route saves it.
     */
    public void sync(Exchange exchange) {
        Map<?, ?> row = exchange.getMessage().getBody(Map.class);
        if (row == null || row.isEmpty()) {
            if (appliedVersion != 0) {
                LOG.info("Refresh control reset to the configuration (by another replica or an operator)");
                apply(configured, 0, null, null);
                return;
            }
        } else {
            long version = ((Number) row.get("version")).longValue();
            if (version != appliedVersion) {
                Values values = new Values((Boolean) row.get("active"), (String) row.get("cron"),
                        ((Number) row.get("concurrency")).intValue(), ((Number) row.get("instance_limit")).intValue());
                if (appliedVersion == 0) {
                    LOG.info("Refresh control from the database: {} ({} by {})", describe(values), row.get("change"),
                            row.get("changed_by"));
                }
                apply(values, version, (String) row.get("changed_by"), (Timestamp) row.get("changed_at"));
                return;
            }
        }
        if (applying) {
            // this process is suspending or resuming the route itself: that is not an operator's action
            return;
        }
        ServiceStatus status = camelContext.getRouteController().getRouteStatus(ROUTE_ID);
        boolean running = status == ServiceStatus.Started;
        boolean halted = status == ServiceStatus.Suspended || status == ServiceStatus.Stopped;
        if (current.isActive() && halted) {
            exchange.setProperty("controlAction", "pause");
            exchange.setProperty("controlBy", "JMX (route " + status.name().toLowerCase() + ")");
        } else if (!current.isActive() && running) {
            exchange.setProperty("controlAction", "resume");
            exchange.setProperty("controlBy", "JMX (route started)");
        }
    }

    /**
     * Turns an operator's request (property {@code controlAction}: pause, resume, update, reset; body: JSON for update)
     * into the values to save (properties {@code control*}), or {@code controlProblem}.
     */
    public void prepareChange(Exchange exchange) {
        String action = exchange.getProperty("controlAction", String.class);
        String by = exchange.getProperty("controlBy", String.class);
        if (by == null) {
            String named = exchange.getMessage().getHeader("X-Changed-By", String.class);
            Object from = exchange.getMessage().getHeader("CamelVertxPlatformHttpRemoteAddress");
            by = (named == null || named.isBlank() ? "admin API" : named.replaceAll("\\p{Cntrl}", " ").trim())
                    + (from == null ? "" : " from " + from.toString().replaceFirst(":\\d+$", ""));
        }
        Values base = current;
        Values next;
        String change;
        switch (action) {
            case "pause" -> {
                next = new Values(false, base.getCron(), base.getConcurrency(), base.getLimit());
                change = "refresh paused";
            }
            case "resume" -> {
                next = new Values(true, base.getCron(), base.getConcurrency(), base.getLimit());
                change = "refresh resumed";
            }
            case "reset" -> {
                next = configured;
                change = "refresh control reset to the configuration";
            }
            default -> {
                String contentType = exchange.getMessage().getHeader(Exchange.CONTENT_TYPE, "", String.class);
                if (!contentType.isEmpty() && !contentType.toLowerCase().contains("json")) {
                    exchange.setProperty("controlProblem", "send the change as JSON (Content-Type: application/json,"
                            + " not " + contentType.split(";")[0] + ")");
                    return;
                }
                try {
                    next = updated(base, exchange.getMessage().getBody(String.class));
                } catch (IllegalArgumentException e) {
                    exchange.setProperty("controlProblem", e.getMessage());
                    return;
                }
                change = "refresh changed to " + describe(next);
            }
        }
        exchange.setProperty("controlValues", next);
        exchange.setProperty("controlChange", change);
        exchange.setProperty("controlBy", by.length() > 200 ? by.substring(0, 200) : by);
    }

    /** After the save: applies the saved row at once (other replicas follow within seconds). */
    public void changed(Exchange exchange) {
        if ("reset".equals(exchange.getProperty("controlAction"))) {
            apply(configured, 0, null, null);
        } else {
            sync(exchange);
        }
        LOG.info("{} by {}", exchange.getProperty("controlChange"), exchange.getProperty("controlBy"));
    }

    /** Answers an operator: the problem (400) or the control now in force. */
    public void answer(Exchange exchange) {
        String problem = exchange.getProperty("controlProblem", String.class);
        if (problem != null) {
            JsonAnswers.answer(exchange, 400, JsonAnswers.error("bad_request", problem));
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        Values values = current;
        body.put("active", values.isActive());
        body.put("cron", values.getCron());
        body.put("concurrency", values.getConcurrency());
        body.put("limit", values.getLimit());
        body.put("source", appliedVersion == 0 ? "configuration" : "database");
        body.put("changed_by", changedBy);
        body.put("changed_at", changedAt == null ? null : changedAt.toInstant().toString());
        body.put("route_status", routeStatus());
        JsonAnswers.answer(exchange, 200, body);
    }

    private synchronized void apply(Values values, long version, String by, Timestamp at) {
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
            setActive(values.isActive());
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

    private static Values updated(Values base, String json) {
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
        String cron = base.getCron();
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
        }
        int concurrency = number(body, "concurrency", base.getConcurrency(), 1, 512);
        int limit = number(body, "limit", base.getLimit(), 0, Integer.MAX_VALUE);
        if (body.has("active") && !body.get("active").isBoolean()) {
            throw new IllegalArgumentException("active must be true or false (a JSON boolean, not "
                    + body.get("active") + ")");
        }
        boolean active = body.has("active") ? body.get("active").asBoolean() : base.isActive();
        return new Values(active, cron, concurrency, limit);
    }

    private static int number(JsonNode body, String field, int fallback, int min, int max) {
        if (!body.has(field)) {
            return fallback;
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
