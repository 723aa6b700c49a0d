package io.qrrefresher.alert;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.qrrefresher.common.RouteContract;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.config.Settings;
import org.apache.camel.CamelContext;
import org.apache.camel.ProducerTemplate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the alerts of the service and hands them to the route {@code record-alert}. Alerts raised from Java code
 * (the circuit breaker, a run that met a 401) go through a SEDA queue, so raising one never blocks or fails the caller.
 */
public final class AlertSignals {

    public static final String STALE_QR_CODES = "qr_refresh_failures";
    public static final String EVOLUTION_UNREACHABLE = "evolution_api_unreachable";
    public static final String EVOLUTION_UNAUTHORIZED = "evolution_api_unauthorized";
    public static final String QR_LIMIT_REACHED = "qr_code_limit_reached";

    static final String QUEUE = RouteContract.ALERT_SIGNALS;
    private static final Logger LOG = LoggerFactory.getLogger(AlertSignals.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final CamelContext camelContext;
    private final Settings.Alerts settings;
    private final String serviceName;
    private volatile ProducerTemplate producer;
    // alerts whose incident may be open; after a restart that is unknown, so all of them. A resolve is sent only for
    // these, and an alert leaves the set only once its resolve was recorded, so a resolve lost to a database outage
    // is sent again after the next run.
    private final Set<String> maybeFiring = ConcurrentHashMap.newKeySet();

    public AlertSignals(CamelContext camelContext, Settings.Alerts settings, String serviceName) {
        this.camelContext = camelContext;
        this.settings = settings;
        this.serviceName = serviceName;
        maybeFiring.addAll(List.of(STALE_QR_CODES, EVOLUTION_UNREACHABLE, EVOLUTION_UNAUTHORIZED));
    }

    /**
     * The result of the stale-QR count: firing when any {@code connecting} instance has no recent QR. {@code cause}
     * and {@code hint} are those of the most frequent cause among them; {@code causes} counts each.
     */
    public AlertSignal staleQrCodes(long failedCount, List<String> instances, Map<String, Integer> causes) {
        Map<String, Object> payload = payload(STALE_QR_CODES, failedCount > 0);
        String mainCause = causes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                .orElse(null);
        Cause cause = mainCause == null ? null : causeOf(mainCause);
        payload.put("cause", mainCause);
        payload.put("hint", cause == null ? null : cause.hint());
        payload.put("failed_count", failedCount);
        payload.put("affected_count", failedCount);
        payload.put("instances", instances);
        payload.put("causes", causes);
        payload.put("stale_after_seconds", settings.staleAfter().toSeconds());
        String message = failedCount > 0
                ? failedCount + " connecting instances have no QR code newer than " + settings.staleAfter()
                  + " (" + causes.entrySet().stream().map(entry -> entry.getValue() + " " + entry.getKey())
                          .reduce((a, b) -> a + ", " + b).orElse("") + ")"
                : "QR codes are fresh again";
        payload.put("message", message);
        String summary = failedCount > 0
                ? "QR refresh failures detected: " + message + ": " + instances
                  + (instances.size() < failedCount ? " ..." : "")
                : "QR codes are fresh again";
        return signal(STALE_QR_CODES, failedCount > 0, payload, summary);
    }

    /**
     * The alert of one cause ({@link Cause#alert()}), firing or resolved (a resolve is only posted when an incident is
     * open).
     */
    public AlertSignal causeAlert(Cause cause, boolean firing, int affected, List<String> instances,
                                  Map<String, Object> counts, String hint, String message) {
        Map<String, Object> payload = payload(cause.alert(), firing);
        payload.put("cause", cause.id());
        payload.put("hint", hint);
        payload.put("message", firing ? message : cause.title() + ": cleared");
        payload.put("affected_count", affected);
        payload.put("instances", firing ? instances : List.of());
        payload.putAll(counts);
        String summary = firing ? cause.title() + ": " + message + (instances.isEmpty() ? "" : ": " + instances
                + (instances.size() < affected ? " ..." : "")) + ". " + hint : cause.title() + ": cleared";
        return signal(cause.alert(), firing, payload, summary);
    }

    private static Cause causeOf(String id) {
        for (Cause cause : Cause.values()) {
            if (cause.id().equals(id)) {
                return cause;
            }
        }
        return null;
    }

    public void evolutionUnreachable(String reason) {
        Map<String, Object> payload = payload(EVOLUTION_UNREACHABLE, true);
        payload.put("cause", Cause.EVOLUTION_UNREACHABLE.id());
        payload.put("hint", Cause.EVOLUTION_UNREACHABLE.hint());
        payload.put("message", reason);
        send(signal(EVOLUTION_UNREACHABLE, true, payload, "Evolution API unreachable: " + reason));
    }

    /** Evolution API answers: resolves {@code evolution_api_unreachable} if it may be firing. */
    public void evolutionReachable() {
        if (!maybeFiring.contains(EVOLUTION_UNREACHABLE)) {
            return;
        }
        Map<String, Object> payload = payload(EVOLUTION_UNREACHABLE, false);
        payload.put("cause", Cause.EVOLUTION_UNREACHABLE.id());
        payload.put("hint", Cause.EVOLUTION_UNREACHABLE.hint());
        payload.put("message", "Evolution API answers again");
        send(signal(EVOLUTION_UNREACHABLE, false, payload, "Evolution API answers again"));
    }

    public void evolutionUnauthorized(int failedCount, int totalInstances) {
        Map<String, Object> payload = payload(EVOLUTION_UNAUTHORIZED, true);
        payload.put("cause", Cause.API_KEY_REJECTED.id());
        payload.put("hint", Cause.API_KEY_REJECTED.hint());
        payload.put("failed_count", failedCount);
        payload.put("affected_count", failedCount);
        payload.put("total_instances", totalInstances);
        payload.put("message", "Evolution API refused the apikey (HTTP 401) for " + failedCount + " of "
                + totalInstances + " instances: check EVOLUTION_API_KEY and the instance tokens");
        send(signal(EVOLUTION_UNAUTHORIZED, true, payload, (String) payload.get("message")));
    }

    /** A run got answers without any 401; resolves the alert if it was firing (or might be, after a restart). */
    public void evolutionAuthorized() {
        if (!maybeFiring.contains(EVOLUTION_UNAUTHORIZED)) {
            return;
        }
        Map<String, Object> payload = payload(EVOLUTION_UNAUTHORIZED, false);
        payload.put("cause", Cause.API_KEY_REJECTED.id());
        payload.put("hint", Cause.API_KEY_REJECTED.hint());
        payload.put("message", "Evolution API accepts the apikey again");
        send(signal(EVOLUTION_UNAUTHORIZED, false, payload, "Evolution API accepts the apikey again"));
    }

    /**
     * Evolution's QR limit ended a pairing nobody completed (webhook {@code qrcode.updated} with status 500). A one-shot
     * notice: posted once, when it closes a connecting row, with no "resolved" to follow.
     */
    public void qrLimitReached(String instanceName) {
        Map<String, Object> payload = payload(QR_LIMIT_REACHED, true);
        payload.put("cause", Cause.QR_LIMIT_REACHED.id());
        payload.put("hint", Cause.QR_LIMIT_REACHED.hint());
        payload.put("instance_name", instanceName);
        payload.put("affected_count", 1);
        payload.put("instances", List.of(instanceName));
        payload.put("message", "Evolution API reached its QR code limit for '" + instanceName
                + "': nobody scanned in time; status set to close");
        AlertSignal signal = new AlertSignal(QR_LIMIT_REACHED, true, json(payload), (String) payload.get("message"),
                settings.webhookUrl().isPresent(), 0, true, "");
        send(signal);
    }

    /** Logs what {@code record-alert} did with a signal: {@code changed} is 1 when it opened or closed an incident. */
    public void recorded(AlertSignal signal, Object changed) {
        boolean notified = changed instanceof Number count && count.intValue() > 0;
        if (signal.isOneShot()) {
            LOG.warn("{}{}", signal.getSummary(), signal.isDeliver() ? " (alert queued for the webhook)" : "");
            return;
        }
        if (signal.isFiring()) {
            maybeFiring.add(signal.getAlert());
        } else {
            maybeFiring.remove(signal.getAlert());
        }
        if (signal.isFiring()) {
            LOG.warn("{}{}", signal.getSummary(), notified ? (signal.isDeliver() ? " (alert queued for the webhook)"
                    : " (no ALERT_WEBHOOK_URL: log only)") : "");
        } else if (notified) {
            LOG.info("Alert {} resolved: {}", signal.getAlert(), signal.getSummary());
        }
    }

    private AlertSignal signal(String alert, boolean firing, Map<String, Object> payload, String summary) {
        return new AlertSignal(alert, firing, json(payload), summary, settings.webhookUrl().isPresent(),
                settings.reminderInterval().toSeconds(), false, String.valueOf(payload.getOrDefault("scope", "")));
    }

    private static String json(Map<String, Object> payload) {
        try {
            return JSON.writeValueAsString(payload);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Alert payload is plain data and always serialises", e);
        }
    }

    private Map<String, Object> payload(String alert, boolean firing) {
        Map<String, Object> payload = new LinkedHashMap<>();
        payload.put("alert", alert);
        // the X-Alert-Delivery-Id of its post: unique across deployments, the same at every retry
        payload.put("delivery_id", java.util.UUID.randomUUID().toString());
        payload.put("status", firing ? "firing" : "resolved");
        payload.put("detected_at", Instant.now().toString());
        payload.put("service", serviceName);
        // the same labels as in Alertmanager and the Prometheus rules
        payload.put("labels", Cause.labels(alert, serviceName));
        // every alert says which instances it concerns: none when it concerns a server or the service
        payload.put("affected_count", 0);
        payload.put("instances", List.of());
        return payload;
    }

    private void send(AlertSignal signal) {
        try {
            if (producer == null) {
                producer = camelContext.createProducerTemplate();
            }
            producer.sendBody(QUEUE, signal);
        } catch (RuntimeException e) {
            LOG.warn("Could not queue the alert {}: {}", signal, e.getMessage());
        }
    }
}
