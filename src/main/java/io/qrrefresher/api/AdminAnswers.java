package io.qrrefresher.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.common.JsonAnswer;
import io.qrrefresher.common.JsonAnswers;
import io.qrrefresher.common.Parameter;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.qrrefresher.refresh.InstanceResult;
import io.qrrefresher.refresh.RefreshRun;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The JSON answers of {@code POST /refresh-qr-codes} and {@code GET /refresh-runs}. */
public final class AdminAnswers {

    private static final Logger LOG = LoggerFactory.getLogger(AdminAnswers.class);
    static final int DEFAULT_HISTORY = 20;
    static final int MAX_HISTORY = 500;
    private static final ObjectMapper CAUSES = new ObjectMapper();

    /**
     * The answer of the system we replace ({@code success}, {@code total_instances}, {@code refreshed},
     * {@code failed}, {@code results}) plus the run's id, status and other totals. 409 when a run was already going.
     */
    public JsonAnswer manualRun(RefreshRun run, RefreshRun going) {
        if (run == null) {
            boolean recorded = going == null || going.getId() != null;
            Map<String, Object> body = JsonAnswers.error("run_in_progress", recorded
                    ? "a refresh run is already in progress; try again when it ends"
                    : "a refresh run is in progress but could not record itself yet (the database is unreachable);"
                    + " it will be in the history once the database answers");
            if (going != null) {
                body.put("running_trigger", going.getTrigger());
                body.put("running_since", going.getStartedAt().toString());
                if (recorded) {
                    body.put("running_run_id", going.getId());
                }
            }
            return new JsonAnswer(409, body);
        }
        boolean completed = !run.isAborted();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("success", completed);
        body.put("run_id", run.getId());
        body.put("trigger", run.getTrigger());
        body.put("all", run.isPollAll());
        body.put("status", run.getStatus());
        body.put("total_instances", run.getTotal());
        body.put("refreshed", run.getRefreshed());
        body.put("unchanged", run.getUnchanged());
        body.put("opened", run.getOpened());
        body.put("closed", run.getClosed());
        body.put("failed", run.getFailed());
        body.put("covered", run.getCovered());
        body.put("deferred", run.getDeferred());
        body.put("duration_ms", run.getDurationMillis());
        body.put("message", run.getMessage());
        List<Map<String, Object>> results = new ArrayList<>();
        for (InstanceResult result : run.getResults()) {
            Map<String, Object> line = new LinkedHashMap<>();
            line.put("instance_name", result.instanceName());
            line.put("success", result.success());
            line.put("qr_updated", result.qrUpdated());
            line.put("outcome", result.outcome());
            if (result.error() != null) {
                line.put("error", result.error());
            }
            if (result.cause() != null) {
                line.put("cause", result.cause());
            }
            results.add(line);
        }
        body.put("results", results);
        return new JsonAnswer(completed ? 200 : 500, body);
    }

    /** {@code ?limit=N} of the history: 1..500, default 20. */
    public Parameter<Integer> historyLimit(String limit) {
        int value = DEFAULT_HISTORY;
        if (limit != null && !limit.isBlank()) {
            try {
                value = Integer.parseInt(limit.trim());
            } catch (NumberFormatException e) {
                value = -1;
            }
        }
        return value < 1 || value > MAX_HISTORY
                ? Parameter.wrong("limit must be a whole number from 1 to " + MAX_HISTORY) : Parameter.of(value);
    }

    /** {@code ?all=true}: the manual run polls every instance, those webhooks cover included. */
    public Parameter<Boolean> pollAll(String all) {
        if (all == null || all.isBlank() || all.trim().equalsIgnoreCase("false")) {
            return Parameter.of(false);
        }
        return all.trim().equalsIgnoreCase("true") ? Parameter.of(true) : Parameter.wrong("all must be true or false");
    }

    /** 400 with what was wrong, and one log line. */
    public JsonAnswer badRequest(String method, String path, String problem) {
        LOG.warn("Refused {} {}: {}", method, path, problem);
        return JsonAnswer.error(400, "bad_request", problem);
    }

    /** History rows (newest first) as {@code {"runs":[...]}}. */
    public JsonAnswer history(List<?> rows) {
        List<Map<String, Object>> runs = new ArrayList<>();
        for (Object row : rows) {
            Map<String, Object> run = new LinkedHashMap<>();
            ((Map<?, ?>) row).forEach((key, value) -> run.put(String.valueOf(key), json(value)));
            run.computeIfPresent("causes", (key, causes) -> parsed((String) causes));
            runs.add(run);
        }
        return JsonAnswer.ok(Map.of("runs", runs));
    }

    /** The run's causes, stored as JSON text by the run itself. */
    private static Object parsed(String causes) {
        try {
            return CAUSES.readTree(causes);
        } catch (JsonProcessingException e) {
            return causes;
        }
    }

    private static Object json(Object value) {
        String time = JsonAnswers.isoTime(value);
        if (time != null) {
            return time;
        }
        if (value instanceof TemporalAccessor temporal) {
            return temporal.toString();
        }
        return value;
    }
}
