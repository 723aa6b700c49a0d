package io.qrrefresher.config;

/**
 * Every configuration key the service reads. The property key lives in {@code application.properties}; Camel's
 * properties component lets the environment variable of the same name (upper case, dots and dashes as underscores)
 * override it.
 */
public enum Setting {
    DATABASE_URL("database.url", false),
    DATABASE_USER("database.user", false),
    DATABASE_PASSWORD("database.password", true),
    DATABASE_POOL_SIZE("database.pool-size", false),
    EMBEDDED_POSTGRES_DATA_DIR("embedded.postgres.data-dir", false),
    EMBEDDED_POSTGRES_PORT("embedded.postgres.port", false),

    EVOLUTION_API_BASE_URL("evolution.api.base-url", false),
    EVOLUTION_API_KEY("evolution.api-key", true),
    EVOLUTION_TIMEOUT_MS("evolution.timeout-ms", false),
    EVOLUTION_MAX_REPLY_BYTES("evolution.max-reply-bytes", false),
    EVOLUTION_CIRCUIT_FAILURE_RATE("evolution.circuit.failure-rate", false),
    EVOLUTION_CIRCUIT_WINDOW_SIZE("evolution.circuit.window-size", false),
    EVOLUTION_CIRCUIT_MINIMUM_CALLS("evolution.circuit.minimum-calls", false),
    EVOLUTION_CIRCUIT_OPEN_DURATION("evolution.circuit.open-duration", false),
    EVOLUTION_CIRCUIT_HALF_OPEN_CALLS("evolution.circuit.half-open-calls", false),

    QR_REFRESH_CRON("qr.refresh.cron", false),
    QR_REFRESH_CONCURRENCY("qr.refresh.concurrency", false),
    QR_REFRESH_LIMIT("qr.refresh.limit", false),
    QR_REFRESH_MIN_AGE("qr.refresh.min-age", false),
    QR_CLOSE_CONFIRM_AFTER("qr.close-confirm-after", false),
    QR_RUN_HISTORY_RETENTION("qr.run-history.retention", false),
    QR_FAILURE_CHECK_CRON("qr.failure-check.cron", false),
    QR_STALE_AFTER("qr.stale-after", false),

    ALERT_WEBHOOK_URL("alert.webhook.url", false),
    ALERT_WEBHOOK_SECRET("alert.webhook.secret", true),
    ALERT_REMINDER_INTERVAL("alert.reminder-interval", false),
    ALERT_MAX_INSTANCES("alert.max-instances", false),
    ALERT_DELIVERY_MAX_AGE("alert.delivery.max-age", false),
    ALERT_DELIVERY_RETRY_BASE("alert.delivery.retry-base", false),
    ALERT_DELIVERY_POLL_MS("alert.delivery.poll-ms", false),

    ADMIN_TOKEN("admin.token", true),
    HTTP_PORT("http.port", false),
    SERVICE_NAME("service.name", false);

    private final String key;
    private final boolean secret;

    Setting(String key, boolean secret) {
        this.key = key;
        this.secret = secret;
    }

    public String key() {
        return key;
    }

    public String env() {
        return name();
    }

    public boolean isSecret() {
        return secret;
    }
}
