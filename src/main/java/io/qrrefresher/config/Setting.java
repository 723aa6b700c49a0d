package io.qrrefresher.config;

/**
 * Every configuration key the service reads. The property key lives in {@code application.properties}; Camel's
 * properties component lets the environment variable of the same name (upper case, dots and dashes as underscores)
 * override it.
 */
public enum Setting {
    DATABASE_URL("database.url"),
    DATABASE_LISTEN_URL("database.listen-url"),
    DATABASE_USER("database.user"),
    DATABASE_PASSWORD("database.password"),
    DATABASE_POOL_SIZE("database.pool-size"),
    DATABASE_WAIT_MS("database.wait-ms"),
    EMBEDDED_POSTGRES_DATA_DIR("embedded.postgres.data-dir"),
    EMBEDDED_POSTGRES_PORT("embedded.postgres.port"),

    EVOLUTION_API_BASE_URL("evolution.api.base-url"),
    EVOLUTION_API_KEY("evolution.api-key"),
    EVOLUTION_SERVERS("evolution.servers"),
    EVOLUTION_INFO_INTERVAL_MS("evolution.info-interval-ms"),
    EVOLUTION_DISCOVERY_INTERVAL_MS("evolution.discovery.interval-ms"),
    EVOLUTION_CHECK_MS("evolution.check-ms"),
    EVOLUTION_SERVER_CONCURRENCY("evolution.server-concurrency"),
    EVOLUTION_TIMEOUT_MS("evolution.timeout-ms"),
    EVOLUTION_MAX_REPLY_BYTES("evolution.max-reply-bytes"),
    EVOLUTION_CIRCUIT_FAILURE_RATE("evolution.circuit.failure-rate"),
    EVOLUTION_CIRCUIT_WINDOW_SIZE("evolution.circuit.window-size"),
    EVOLUTION_CIRCUIT_MINIMUM_CALLS("evolution.circuit.minimum-calls"),
    EVOLUTION_CIRCUIT_OPEN_DURATION("evolution.circuit.open-duration"),
    EVOLUTION_CIRCUIT_HALF_OPEN_CALLS("evolution.circuit.half-open-calls"),

    QR_REFRESH_CRON("qr.refresh.cron"),
    QR_REFRESH_CONCURRENCY("qr.refresh.concurrency"),
    QR_REFRESH_LIMIT("qr.refresh.limit"),
    QR_REFRESH_MIN_AGE("qr.refresh.min-age"),
    QR_CLOSE_CONFIRM_AFTER("qr.close-confirm-after"),
    QR_RUN_HISTORY_RETENTION("qr.run-history.retention"),
    QR_REFRESH_COVERED("qr.refresh.covered"),
    QR_COVERED_FOR("qr.covered-for"),
    QR_COVERED_READ_INTERVAL("qr.covered-read-interval"),
    QR_FAILURE_CHECK_CRON("qr.failure-check.cron"),
    QR_STALE_AFTER("qr.stale-after"),

    ALERT_WEBHOOK_URL("alert.webhook.url"),
    ALERT_WEBHOOK_SECRET("alert.webhook.secret"),
    ALERT_REMINDER_INTERVAL("alert.reminder-interval"),
    ALERT_MAX_INSTANCES("alert.max-instances"),
    ALERT_NO_QR_AFTER("alert.no-qr-after"),
    ALERT_QR_LIMIT_REPEATS("alert.qr-limit.repeats"),
    ALERT_QR_LIMIT_WINDOW("alert.qr-limit.window"),
    ALERT_STALE_QR_WINDOW("alert.stale-qr.window"),
    ALERT_STALE_QR_MAX_PERCENT("alert.stale-qr.max-percent"),
    ALERT_STALE_QR_MIN_READS("alert.stale-qr.min-reads"),
    ALERT_STALE_QR_CLEAR_PERCENT("alert.stale-qr.clear-percent"),
    QR_REFRESH_MIN_INTERVAL("qr.refresh.min-interval"),
    ALERT_DELIVERY_MAX_AGE("alert.delivery.max-age"),
    ALERT_DELIVERY_RETRY_BASE("alert.delivery.retry-base"),
    ALERT_DELIVERY_POLL_MS("alert.delivery.poll-ms"),
    ALERT_DELIVERY_BATCH_SIZE("alert.delivery.batch-size"),
    ALERT_DELIVERY_CLAIM_FOR("alert.delivery.claim-for"),
    ALERT_DELIVERY_RETRY_MAX("alert.delivery.retry-max"),
    QR_CONTROL_WATCH_MS("qr.control.watch-ms"),
    QR_WAITING_COUNT_MS("qr.waiting.count-ms"),

    EVOLUTION_WEBHOOK_TOKEN("evolution.webhook-token"),
    QR_LIFETIME("qr.lifetime"),
    QR_REFRESH_ON_REQUEST("qr.refresh.on-request"),
    QR_EVENTS_HEARTBEAT_MS("qr.events.heartbeat-ms"),
    QR_STREAM_HEARTBEAT_MS("qr.stream.heartbeat-ms"),
    QR_STREAM_MAX_CLIENTS("qr.stream.max-clients"),
    QR_STREAM_MAX_CLIENTS_PER_INSTANCE("qr.stream.max-clients-per-instance"),
    QR_STREAM_CLIENT_BUFFER_BYTES("qr.stream.client-buffer-bytes"),
    QR_STREAM_MAX_DURATION("qr.stream.max-duration"),
    QR_STREAM_MAX_PENDING("qr.stream.max-pending"),
    QR_STREAM_AUTH_FAILURES_PER_MINUTE("qr.stream.auth-failures-per-minute"),
    QR_STREAM_ALLOW_INSTANCE_TOKEN("qr.stream.allow-instance-token"),
    QR_MAX_IMAGE_BYTES("qr.max-image-bytes"),
    VIEWER_TOKEN_SECRET("viewer.token-secret"),
    VIEWER_TOKEN_TTL("viewer.token-ttl"),
    VIEWER_JWT_SECRET("viewer.jwt-secret"),
    VIEWER_JWT_CLAIM("viewer.jwt-claim"),
    VIEWER_JWKS_URL("viewer.jwks-url"),
    VIEWER_JWT_AUDIENCE("viewer.jwt-audience"),
    VIEWER_JWT_ISSUER("viewer.jwt-issuer"),
    VIEWER_JWT_MAX_LIFETIME("viewer.jwt-max-lifetime"),
    CORS_ALLOWED_ORIGINS("cors.allowed-origins"),
    QR_RENEW_MIN_INTERVAL("qr.renew.min-interval"),
    PUBLIC_URL("public.url"),
    LINK_PAGE_TITLE("link.page-title"),
    LINK_PAGE_LOGO_URL("link.page-logo-url"),
    LINK_PAGE_CONTACT("link.page-contact"),
    LANGUAGES_DIR("languages.dir"),

    MANAGEMENT_PORT("management.port"),
    JOLOKIA_ENABLED("jolokia.enabled"),
    JOLOKIA_USER("jolokia.user"),
    JOLOKIA_PASSWORD("jolokia.password"),
    ALERT_WEBHOOK_FORMAT("alert.webhook.format"),
    LOG_FORMAT("log.format"),

    ADMIN_TOKEN("admin.token"),
    HTTP_PORT("http.port"),
    HTTP_BIND("http.bind"),
    MANAGEMENT_BIND("management.bind"),
    HTTP_HEADER_TIMEOUT_MS("http.header-timeout-ms"),
    HTTP_IDLE_TIMEOUT_SECONDS("http.idle-timeout-seconds"),
    HTTP_MAX_CONNECTIONS("http.max-connections"),
    HTTP_MAX_CONNECTIONS_PER_ADDRESS("http.max-connections-per-address"),
    HTTP_SEND_BUFFER_BYTES("http.send-buffer-bytes"),
    TRUSTED_PROXIES("trusted.proxies"),
    SERVICE_NAME("service.name");

    /**
     * The keys the routes read as written ({@code {{key}}} or {@code ${properties:key}}), in the units they take: such a
     * value must be usable as it stands, so {@link Settings} refuses one that is set but empty (Camel's properties
     * component would hand the routes "" where {@code Settings} falls back to its default), has spaces around it, or
     * (a duration) is in lower case, which PostgreSQL does not read. {@code RouteContractTest} checks that this is
     * every key the routes read, apart from {@link #SET_BY_THE_SERVICE}.
     */
    /**
     * Settings that are secrets, or hold one (a URL with a password or a webhook key): each may also be given as the
     * path of a file that holds it, in {@code <NAME>_FILE} (Docker and Kubernetes secrets), never both.
     */
    public static final java.util.Set<Setting> SECRETS = java.util.Collections.unmodifiableSet(
            java.util.EnumSet.of(DATABASE_URL, DATABASE_PASSWORD, EVOLUTION_API_KEY, ALERT_WEBHOOK_URL,
                    ALERT_WEBHOOK_SECRET, EVOLUTION_WEBHOOK_TOKEN, VIEWER_TOKEN_SECRET, VIEWER_JWT_SECRET,
                    JOLOKIA_PASSWORD, ADMIN_TOKEN));

    public static final java.util.Set<Setting> READ_BY_ROUTES = java.util.Collections.unmodifiableSet(
            java.util.EnumSet.of(EVOLUTION_CIRCUIT_FAILURE_RATE, EVOLUTION_CIRCUIT_WINDOW_SIZE,
                    EVOLUTION_CIRCUIT_MINIMUM_CALLS, EVOLUTION_CIRCUIT_HALF_OPEN_CALLS, QR_REFRESH_CRON, QR_REFRESH_CONCURRENCY, QR_REFRESH_ON_REQUEST, QR_FAILURE_CHECK_CRON,
                    QR_CONTROL_WATCH_MS, QR_WAITING_COUNT_MS, EVOLUTION_CHECK_MS, QR_EVENTS_HEARTBEAT_MS, QR_LIFETIME, QR_STALE_AFTER, ALERT_NO_QR_AFTER,
                    ALERT_QR_LIMIT_REPEATS, ALERT_QR_LIMIT_WINDOW, ALERT_STALE_QR_WINDOW, ALERT_DELIVERY_POLL_MS,
                    ALERT_DELIVERY_BATCH_SIZE, ALERT_DELIVERY_CLAIM_FOR, ALERT_DELIVERY_RETRY_BASE,
                    ALERT_DELIVERY_RETRY_MAX, ALERT_DELIVERY_MAX_AGE));

    /**
     * Keys the routes read that the service sets itself from validated settings: the breaker's open duration in the
     * whole seconds Camel takes, the alert webhook's origin, the default Evolution server's name (the failure check
     * counts rows that name no server with it). (Each Evolution server's URL reaches its route as a
     * parameter of the route template evolution-server.)
     */
    public static final java.util.Set<String> SET_BY_THE_SERVICE = java.util.Set.of(
            "evolution.circuit.open-duration-seconds", "alert.webhook.origin", "evolution.default-server");

    private final String key;

    Setting(String key) {
        this.key = key;
    }

    public String key() {
        return key;
    }

    public String env() {
        return name();
    }
}
