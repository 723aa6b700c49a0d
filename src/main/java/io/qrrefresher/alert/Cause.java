package io.qrrefresher.alert;

/**
 * Why a person sees no working QR code, as far as the service can tell from what it observed. Each cause has the
 * alert that reports it (one incident per cause), its severity and a one-line hint: what an operator of Evolution API
 * would check first. The table "Alerts and what they mean" (docs/operators.md) is this enum.
 */
public enum Cause {

    /** Evolution answers, but with {@code {"count":0}} or the same QR, for longer than ALERT_NO_QR_AFTER. */
    NO_QR_GENERATED("evolution_not_generating_qr", "Evolution API is not generating QR codes", "warning",
            "Evolution answers {\"count\":0} or the same QR for these instances only: delete and recreate them in"
                    + " Evolution (DELETE /instance/delete/{name}, then POST /instance/create), then set the row to"
                    + " connecting again"),
    /** Evolution answers 404: it does not know the instance. */
    INSTANCE_MISSING("evolution_instance_missing", "Instance missing in Evolution API", "warning",
            "Evolution does not know these instances (HTTP 404; DEL_INSTANCE may have deleted them): recreate them"
                    + " (POST /instance/create) or set their rows to close"),
    /** Evolution answers 401 to the instance's own token while it accepts other keys. */
    INSTANCE_KEY_REJECTED("evolution_instance_key_rejected", "Instance key rejected by Evolution API", "warning",
            "Evolution refuses these rows' instance_token (HTTP 401) while it accepts other keys: the instance was"
                    + " recreated or its token changed; store its current token, or clear instance_token to use"
                    + " EVOLUTION_API_KEY"),
    /** Evolution answers 401 to the global key, or to every instance. */
    API_KEY_REJECTED(AlertSignals.EVOLUTION_UNAUTHORIZED, "Evolution API refuses the apikey", "critical",
            "Evolution refuses the key for every instance (HTTP 401): EVOLUTION_API_KEY no longer matches the"
                    + " server's AUTHENTICATION_API_KEY, or the instance tokens were revoked"),
    /** Evolution does not answer: timeouts, connection errors, 5xx, or the circuit breaker is open. */
    EVOLUTION_UNREACHABLE(AlertSignals.EVOLUTION_UNREACHABLE, "Evolution API unreachable", "critical",
            "Evolution API does not answer (timeouts, connection errors, HTTP 5xx): check that it runs and that"
                    + " EVOLUTION_API_BASE_URL reaches it"),
    /** The server answers every request 503 LICENSE_REQUIRED: Evolution 2.4's licence gate, not activated. */
    LICENSE_REQUIRED("evolution_license_required", "Evolution server not activated", "critical",
            "The Evolution server answers every request 503 LICENSE_REQUIRED (the licence gate of 2.4): activate it"
                    + " in its manager (/manager/login) or set its AUTHENTICATION_API_KEY to a valid licensing key;"
                    + " its QR codes resume by themselves once it is"),
    /** Several configured servers list the instance of a row that names none. */
    INSTANCE_ON_SEVERAL_SERVERS("evolution_instance_on_several_servers", "Instance on several Evolution servers",
            "warning", "Several Evolution servers list these instances (GET /instance/fetchInstances), so their"
                    + " QR codes cannot be told apart: delete each from all servers but one, or name its server in"
                    + " the row's evolution_server"),
    /** No configured server lists the instance of a row that names none. */
    INSTANCE_ON_NO_SERVER("evolution_instance_on_no_server", "Instance on no Evolution server", "warning",
            "None of the Evolution servers lists these instances (each was listed after the default server answered"
                    + " 404): create them on one server (POST /instance/create), name it in evolution_server, or"
                    + " set their rows to close"),
    /** Evolution answers, but not in a usable way (not loaded, malformed, a refused image). */
    REFRESH_FAILING(AlertSignals.STALE_QR_CODES, "QR refresh failing", "warning",
            "Evolution's answers for these instances cannot be used (see last_error in GET /instances/{name}/status):"
                    + " an instance not loaded after an Evolution restart, or a malformed reply"),
    /** Nothing failed, yet no refresh read the instance since it started waiting. */
    NOT_POLLED(AlertSignals.STALE_QR_CODES, "QR codes not refreshed", "warning",
            "No refresh has read these instances since they started waiting: check that the refresh is not paused"
                    + " (GET /refresh-control) and that its runs finish (GET /refresh-runs)"),
    /** Evolution closed the same instance at QRCODE_LIMIT several times within ALERT_QR_LIMIT_WINDOW. */
    QR_LIMIT_REPEATED("qr_limit_repeated", "QR code limit reached repeatedly", "info",
            "Nobody scans these QR codes: Evolution closed them at QRCODE_LIMIT again and again. The screen was"
                    + " probably abandoned: ask for a QR when a person opens it, not in a loop"),
    /** Polls keep finding a newer QR than the stored one, which had already expired. */
    STALE_QR_SHOWN("stale_qr_shown", "Stale QR codes shown", "warning",
            "Webhooks are not arriving: the poll keeps finding newer QR codes than the stored, expired ones. Point"
                    + " Evolution's webhook (WEBHOOK_GLOBAL_URL or the instance's) at this service's"
                    + " /webhooks/evolution with its token, events QRCODE_UPDATED and CONNECTION_UPDATE"),
    /** One QR limit reached (a one-shot notice per event). */
    QR_LIMIT_REACHED(AlertSignals.QR_LIMIT_REACHED, "QR code limit reached", "info",
            "Nobody scanned in time; the row is closed. Set it to connecting again when the person asks for a new QR");

    /** Hint of {@link #NO_QR_GENERATED} when every waiting instance is affected: the server, not the instances. */
    static final String NO_QR_ON_SERVER_HINT = "Evolution answers {\"count\":0} or the same QR for every waiting"
            + " instance: its WhatsApp Web version is probably outdated. Update Evolution API or set"
            + " CONFIG_SESSION_PHONE_VERSION to the current WhatsApp Web version, check its proxy, then restart it";
    /** Hint of {@link #STALE_QR_SHOWN} when no webhook is configured: polling alone is too slow. */
    static final String STALE_QR_WITHOUT_WEBHOOKS_HINT = "No webhooks are configured, and between polls the QR on"
            + " screen outlives its validity: set EVOLUTION_WEBHOOK_TOKEN and point Evolution's webhook at this"
            + " service's /webhooks/evolution, or poll more often (QR_REFRESH_CRON)";

    private final String alert;
    private final String title;
    private final String severity;
    private final String hint;

    Cause(String alert, String title, String severity, String hint) {
        this.alert = alert;
        this.title = title;
        this.severity = severity;
        this.hint = hint;
    }

    /** The word used in payloads, the status endpoint, the run history and metrics: {@code instance_missing}. */
    public String id() {
        return name().toLowerCase();
    }

    /** The alert that reports it. */
    public String alert() {
        return alert;
    }

    public String title() {
        return title;
    }

    public String severity() {
        return severity;
    }

    public String hint() {
        return hint;
    }

    /**
     * Where the fault lies: the {@code cause} label of the alert, shared with the Prometheus rules
     * (monitoring/prometheus/alerts.yml) so that Alertmanager groups and inhibits both together. One of
     * {@code evolution} (a server unreachable, refusing the key, not activated), {@code instances} (these instances
     * only), {@code stale_qr} (the symptom: QR codes not fresh), {@code webhooks}, {@code scans} (nobody scans);
     * the rules add {@code service} and {@code database}.
     */
    public String area() {
        return switch (this) {
            case API_KEY_REJECTED, EVOLUTION_UNREACHABLE, LICENSE_REQUIRED -> "evolution";
            case NO_QR_GENERATED, INSTANCE_MISSING, INSTANCE_KEY_REJECTED, INSTANCE_ON_SEVERAL_SERVERS,
                 INSTANCE_ON_NO_SERVER -> "instances";
            case REFRESH_FAILING, NOT_POLLED -> "stale_qr";
            case STALE_QR_SHOWN -> "webhooks";
            case QR_LIMIT_REPEATED, QR_LIMIT_REACHED -> "scans";
        };
    }

    /**
     * The labels every alert of the service carries, as Alertmanager gets them: {@code alertname}, {@code service},
     * {@code severity} and {@code cause} ({@link #area()}), all fixed for an alert name.
     */
    public static java.util.Map<String, String> labels(String alert, String service) {
        Cause first = null;
        for (Cause cause : values()) {
            if (cause.alert.equals(alert)) {
                first = cause;
                break;
            }
        }
        java.util.Map<String, String> labels = new java.util.LinkedHashMap<>();
        labels.put("alertname", alert);
        labels.put("service", service);
        labels.put("severity", first == null ? "warning" : first.severity);
        labels.put("cause", first == null ? "stale_qr" : first.area());
        return labels;
    }

    /**
     * The cause of a failed refresh, from its failure reason ({@code RefreshDecisions.FAILURE_REASONS}).
     *
     * @param ownToken whether the call carried the row's own instance_token (not EVOLUTION_API_KEY)
     */
    public static Cause ofFailure(String failureReason, boolean ownToken) {
        if (failureReason == null) {
            return REFRESH_FAILING;
        }
        return switch (failureReason) {
            case "not_found" -> INSTANCE_MISSING;
            case "unauthorized" -> ownToken ? INSTANCE_KEY_REJECTED : API_KEY_REJECTED;
            case "unavailable", "circuit_open" -> EVOLUTION_UNREACHABLE;
            case "license_required" -> LICENSE_REQUIRED;
            case "on_several_servers" -> INSTANCE_ON_SEVERAL_SERVERS;
            case "on_no_server" -> INSTANCE_ON_NO_SERVER;
            default -> REFRESH_FAILING;
        };
    }
}
