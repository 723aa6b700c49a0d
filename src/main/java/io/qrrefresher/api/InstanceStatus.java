package io.qrrefresher.api;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import io.qrrefresher.alert.Cause;
import io.qrrefresher.alert.Diagnosis;
import io.qrrefresher.alert.WaitingRows;
import io.qrrefresher.common.JsonAnswers;
import io.qrrefresher.config.Settings;
import org.apache.camel.Exchange;

import static io.qrrefresher.common.JsonAnswers.number;

/**
 * {@code GET /instances/{name}/status} (admin): what support needs to answer "why does my customer see no QR?"
 * without reading logs: the row, its QR's age, the last refresh error, when Evolution last answered and the last
 * webhook arrived, and the cause with its hint, classified like the failure check does ({@link Diagnosis}).
 */
public final class InstanceStatus {

    private static final String ROW = "statusRow";
    private static final String OWN = "statusRowClassified";
    private static final String FLEET = "waitingFleet";

    private final Settings.AlertCauses thresholds;
    private final BooleanSupplier evolutionUnreachable;

    public InstanceStatus(Settings.AlertCauses thresholds, BooleanSupplier evolutionUnreachable) {
        this.thresholds = thresholds;
        this.evolutionUnreachable = evolutionUnreachable;
    }

    /**
     * Keeps the row read by the route {@code instance-status} and classifies it; true when its cause is
     * {@code no_qr_generated}: then the route reads the other waiting instances, to tell one instance from the server.
     */
    public boolean classifyRow(Exchange exchange) {
        Map<?, ?> row = exchange.getMessage().getBody(Map.class);
        exchange.setProperty(ROW, row);
        if (row == null || !"connecting".equals(row.get("instance_status"))) {
            return false;
        }
        // the row has the columns of read-waiting-instances: classified the same way
        WaitingRows own = WaitingRows.classify(List.of(row), evolutionUnreachable.getAsBoolean());
        exchange.setProperty(OWN, own);
        return own.rows().get(0).cause() == Cause.NO_QR_GENERATED;
    }

    /** Keeps the waiting instances (route {@code read-waiting-instances}) to compare the instance asked about with. */
    public void compareWithFleet(Exchange exchange) {
        exchange.setProperty(FLEET, WaitingRows.classify(exchange.getMessage().getBody(List.class),
                evolutionUnreachable.getAsBoolean()));
    }

    /** Answers the row kept by {@link #classifyRow}, or 404 when there is none. */
    public void answer(Exchange exchange) {
        Map<?, ?> row = exchange.getProperty(ROW, Map.class);
        if (row == null || row.isEmpty()) {
            JsonAnswers.answer(exchange, 404, JsonAnswers.error("unknown_instance",
                    "no row in evolution_instances has this instance_name"));
            return;
        }
        Instant now = Instant.now();
        String status = (String) row.get("instance_status");
        int failures = number(row.get("consecutive_failures")).intValue();
        long qrLimitCloses = number(row.get("qr_limit_closes")).longValue();
        boolean stale = Boolean.TRUE.equals(row.get("stale"));

        Cause cause = null;
        String hint = null;
        String scope = null;
        WaitingRows own = exchange.getProperty(OWN, WaitingRows.class);
        if (own != null) {
            cause = own.rows().get(0).cause();
            hint = cause == null ? null : cause.hint();
            if (cause == Cause.NO_QR_GENERATED) {
                // as the alert says it: this instance alone, or every waiting instance (the server's settings)
                WaitingRows fleet = exchange.getProperty(FLEET, WaitingRows.class);
                int affected = Math.max(1, fleet == null ? 1 : fleet.count(Cause.NO_QR_GENERATED));
                scope = Diagnosis.noQrScope(affected, own.connecting());
                hint = Diagnosis.noQrHint(scope);
            }
        }
        if (cause == null && qrLimitCloses >= thresholds.qrLimitRepeats()) {
            cause = Cause.QR_LIMIT_REPEATED;
            hint = cause.hint();
        }

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance_name", row.get("instance_name"));
        body.put("status", status);
        body.put("cause", cause == null ? null : cause.id());
        body.put("hint", hint);
        if (scope != null) {
            body.put("scope", scope);
        }
        body.put("alert", cause == null ? null : cause.alert());
        body.put("stale", stale);
        body.put("waiting_since", JsonAnswers.isoTime(row.get("waiting_since")));
        Instant lastQr = JsonAnswers.instant(row.get("last_qr_update"));
        body.put("last_qr_update", lastQr == null ? null : lastQr.toString());
        body.put("qr_age_seconds", lastQr == null ? null : Duration.between(lastQr, now).toSeconds());
        Instant expires = JsonAnswers.instant(row.get("qr_expires_at"));
        body.put("qr_expires_at", expires == null ? null : expires.toString());
        body.put("qr_expired", expires == null ? null : expires.isBefore(now));
        body.put("consecutive_failures", failures);
        body.put("last_failure_reason", failures > 0 ? row.get("last_failure_reason") : null);
        body.put("last_error", failures > 0 ? row.get("last_error") : null);
        body.put("last_error_at", failures > 0 ? JsonAnswers.isoTime(row.get("last_error_at")) : null);
        body.put("last_read_at", JsonAnswers.isoTime(row.get("last_read_at")));
        body.put("last_webhook_qr_at", JsonAnswers.isoTime(row.get("last_webhook_at")));
        body.put("stale_qr_found_at", JsonAnswers.isoTime(row.get("stale_qr_found_at")));
        body.put("qr_limit_closes", qrLimitCloses);
        body.put("qr_limit_window_seconds", thresholds.qrLimitWindow().toSeconds());
        JsonAnswers.answer(exchange, 200, body);
    }
}
