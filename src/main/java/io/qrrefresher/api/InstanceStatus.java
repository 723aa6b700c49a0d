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
import io.qrrefresher.common.JsonAnswer;
import io.qrrefresher.common.JsonAnswers;
import io.qrrefresher.config.Settings;

import static io.qrrefresher.common.JsonAnswers.number;

/**
 * {@code GET /instances/{name}/status} (admin): what support needs to answer "why does my customer see no QR?"
 * without reading logs: the row, its QR's age, the last refresh error, when Evolution last answered and the last
 * webhook arrived, and the cause with its hint, classified like the failure check does ({@link Diagnosis}).
 */
public final class InstanceStatus {

    private final Settings.AlertCauses thresholds;
    private final BooleanSupplier evolutionUnreachable;

    public InstanceStatus(Settings.AlertCauses thresholds, BooleanSupplier evolutionUnreachable,
                          java.util.function.Supplier<java.util.Optional<String>> serverVersion) {
        this.thresholds = thresholds;
        this.evolutionUnreachable = evolutionUnreachable;
        this.serverVersion = serverVersion;
    }

    /** The version of the Evolution server(s), as GET / said (empty: unknown, or servers that differ). */
    private final java.util.function.Supplier<java.util.Optional<String>> serverVersion;

    /**
     * What {@code GET /instances/{name}/status} gathers: the row, the row classified, and (for a row without QR codes)
     * the other waiting instances. Carried by the route {@code instance-status} as the property {@code statusCheck}.
     */
    public static final class StatusCheck {
        private final Map<?, ?> row;
        private final WaitingRows own;
        private WaitingRows fleet;

        StatusCheck(Map<?, ?> row, WaitingRows own) {
            this.row = row;
            this.own = own;
        }

        /** Its cause is {@code no_qr_generated}: the route reads the other waiting instances, to tell one from all. */
        public boolean isNoQrGenerated() {
            return own != null && own.rows().get(0).cause() == Cause.NO_QR_GENERATED;
        }
    }

    /** Classifies the row read by the route {@code instance-status} (null when there is none). */
    public StatusCheck read(Map<?, ?> row) {
        if (row == null || !"connecting".equals(row.get("instance_status"))) {
            return new StatusCheck(row, null);
        }
        // the row has the columns of read-waiting-instances: classified the same way
        return new StatusCheck(row, WaitingRows.classify(List.of(row), evolutionUnreachable.getAsBoolean()));
    }

    /** Keeps the waiting instances (route {@code read-waiting-instances}) to compare the instance asked about with. */
    public void compareWithFleet(StatusCheck check, List<?> waitingRows) {
        check.fleet = WaitingRows.classify(waitingRows, evolutionUnreachable.getAsBoolean());
    }

    /** The status of the row checked, or 404 when there is none. */
    public JsonAnswer answer(StatusCheck check) {
        Map<?, ?> row = check.row;
        if (row == null || row.isEmpty()) {
            return JsonAnswer.error(404, "unknown_instance", "no row in evolution_instances has this instance_name");
        }
        Instant now = Instant.now();
        String status = (String) row.get("instance_status");
        int failures = number(row.get("consecutive_failures")).intValue();
        long qrLimitCloses = number(row.get("qr_limit_closes")).longValue();
        boolean stale = Boolean.TRUE.equals(row.get("stale"));

        Cause cause = null;
        String hint = null;
        String scope = null;
        WaitingRows own = check.own;
        if (own != null) {
            cause = own.rows().get(0).cause();
            hint = cause == null ? null : cause.hint();
            if (cause == Cause.NO_QR_GENERATED) {
                // as the alert says it: this instance alone, or every waiting instance (the server's settings)
                WaitingRows fleet = check.fleet;
                int affected = Math.max(1, fleet == null ? 1 : fleet.count(Cause.NO_QR_GENERATED));
                scope = Diagnosis.noQrScope(affected, own.connecting());
                hint = Diagnosis.noQrHint(scope, serverVersion.get());
            }
        }
        if (cause == null && qrLimitCloses >= thresholds.qrLimitRepeats()) {
            cause = Cause.QR_LIMIT_REPEATED;
            hint = cause.hint();
        }

        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance_name", row.get("instance_name"));
        body.put("status", status);
        // the server its row names, else the ones whose lists name it; null: the default server
        body.put("evolution_server", row.get("server"));
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
        return JsonAnswer.ok(body);
    }
}
