package io.qrrefresher.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.quartz.CronExpression;

/**
 * The service's configuration, read once at startup and validated: a bad value stops startup with one line that names
 * its key (see {@link InvalidSettingException}).
 */
public final class Settings {

    /**
     * {@code listenUrl}: a direct or session-mode URL of the same database for what needs a session of its own
     * (LISTEN, migrations); DATABASE_URL may then be a transaction-mode pooler.
     */
    /**
     * @param waitMs how long a statement waits for a connection of the pool before it fails (HikariCP's
     *               connectionTimeout): an API call then answers 503 database_unavailable after this long
     */
    public record Database(Optional<DatabaseUrl> url, Optional<DatabaseUrl> listenUrl, int poolSize, int waitMs,
                           Path embeddedDataDir, int embeddedPort) {
    }

    /**
     * @param baseUrl the first server's URL (the only one's, without EVOLUTION_SERVERS)
     * @param apiKey  EVOLUTION_API_KEY: the key of every server that has none of its own
     * @param servers every Evolution server, in the order configured; none in demo mode (the simulator's is added)
     */
    /**
     * @param discoveryInterval how often each server's list of instances is read (several servers)
     * @param infoInterval      how often each server's GET / is read (sooner, every 15 s, while it fails)
     * @param serverConcurrency calls at once to one server, per replica (EVOLUTION_SERVER_CONCURRENCY; by default
     *                          QR_REFRESH_CONCURRENCY)
     */
    public record Evolution(Optional<URI> baseUrl, Optional<String> apiKey, List<EvolutionServer> servers,
                            int timeoutMs, int maxReplyBytes, CircuitBreaker circuit, Duration discoveryInterval,
                            Duration infoInterval, int serverConcurrency) {
    }

    /**
     * One Evolution API server: {@code default} when only EVOLUTION_API_BASE_URL is set, else a name of
     * EVOLUTION_SERVERS. Its calls go through the route {@code call-evolution-<name>} and its own circuit breaker.
     *
     * @param apiKey its key (EVOLUTION_API_KEY_&lt;NAME&gt; or evolution.servers.&lt;name&gt;.api-key), else
     *               EVOLUTION_API_KEY; used for rows without instance_token
     */
    public record EvolutionServer(String name, URI baseUrl, Optional<String> apiKey) {

        /** The server of EVOLUTION_API_BASE_URL alone, and of rows whose evolution_server is NULL when listed. */
        public static final String DEFAULT = "default";

        /** The route that calls this server (made from the route template evolution-server). */
        public String routeId() {
            return "call-evolution-" + name;
        }

        /**
         * Its circuit breaker's name: {@code evolution-api} for the default server (the name every earlier version
         * used, in metrics and rules), {@code evolution-api-<name>} for the others.
         */
        public String breakerName() {
            return DEFAULT.equals(name) ? "evolution-api" : "evolution-api-" + name;
        }

        /** The URL without a trailing slash, as the route's endpoint takes it. */
        public String endpoint() {
            String url = baseUrl.toString();
            return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        }

        @Override
        public String toString() {
            // the record's default would print the key
            return name + " (" + baseUrl + ")";
        }
    }

    public record CircuitBreaker(int failureRatePercent, int windowSize, int minimumCalls, Duration openDuration,
                                 int halfOpenCalls) {

        /**
         * The one value of the route's {@code resilience4jConfiguration} it cannot read as written: the open duration
         * (an ISO-8601 duration, like every other) in the whole seconds Camel takes. The four numbers are read as
         * {@code {{evolution.circuit.*}}} directly (resilience4j itself counts at most a window of minimum calls).
         */
        public Map<String, String> routeProperties() {
            return Map.of(OPEN_SECONDS_KEY, String.valueOf((openDuration.toMillis() + 999) / 1000));
        }

        /** EVOLUTION_CIRCUIT_OPEN_DURATION in whole seconds, as the route's waitDurationInOpenState. */
        public static final String OPEN_SECONDS_KEY = "evolution.circuit.open-duration-seconds";
    }

    /**
     * @param minInterval the shortest time a schedule may leave between two runs: a cron that fires more often (at
     *                    start, or over PUT /refresh-control) is refused
     */
    public record Refresh(String cron, int concurrency, int limit, Duration minAge, Duration closeConfirmAfter,
                          Duration historyRetention, Coverage coverage, Duration minInterval) {

        /** The shortest gap between two of the next firings of {@code cron}; null when it fires less than twice. */
        public static Duration shortestGap(CronExpression cron, java.util.Date from) {
            Duration shortest = null;
            java.util.Date previous = cron.getNextValidTimeAfter(from);
            // a year of firings at most: a schedule's gaps repeat well within that
            for (int i = 0; i < 400 && previous != null; i++) {
                java.util.Date next = cron.getNextValidTimeAfter(previous);
                if (next == null) {
                    break;
                }
                Duration gap = Duration.ofMillis(next.getTime() - previous.getTime());
                shortest = shortest == null || gap.compareTo(shortest) < 0 ? gap : shortest;
                previous = next;
            }
            return shortest;
        }

        /** Why {@code cron} fires too often for {@code minInterval}, or null when it does not. */
        public static String tooFrequent(String cron, Duration minInterval) {
            try {
                Duration gap = shortestGap(new CronExpression(cron), new java.util.Date());
                return gap != null && gap.compareTo(minInterval) < 0
                        ? "'" + cron + "' runs " + gap.toMillis() / 1000 + " s apart, more often than "
                          + "QR_REFRESH_MIN_INTERVAL (" + minInterval.toSeconds() + " s): every run reads each"
                          + " waiting instance, so a run every second gives Evolution no rest ('*/2 * * * * ?' is"
                          + " every 2 s)"
                        : null;
            } catch (ParseException e) {
                return null; // refused as unparseable elsewhere
            }
        }
    }

    /**
     * Poll only what webhooks miss: an instance whose last {@code qrcode.updated} arrived within {@code coveredFor} is
     * skipped by the runs (no Evolution call), except once per {@code readInterval} (the safety read), and only while
     * some connecting instance got a webhook within one QR lifetime (else webhooks have stopped: everything is polled).
     */
    public record Coverage(boolean enabled, Duration coveredFor, Duration readInterval) {
    }

    public record Alerts(String failureCheckCron, Duration staleAfter, Optional<URI> webhookUrl,
                         Optional<String> webhookSecret, String webhookFormat, Duration reminderInterval, int maxInstances,
                         Duration deliveryMaxAge, Duration deliveryRetryBase, int deliveryPollMillis,
                         int deliveryBatchSize, Duration deliveryClaimFor, Duration deliveryRetryMax) {

        /** Where the route deliver-alerts posts: the scheme, host and port of ALERT_WEBHOOK_URL. */
        public static final String WEBHOOK_ORIGIN_KEY = "alert.webhook.origin";

        /**
         * Scheme, host and port of ALERT_WEBHOOK_URL; its path and query (Slack and Teams put their secret there) are
         * sent as headers, so that they stay out of the endpoint URI that JMX and hawtio show. An address that cannot
         * resolve when no URL is set: the route then posts nothing.
         */
        public String webhookOrigin() {
            return webhookUrl.map(url -> url.getScheme() + "://" + url.getHost()
                            + (url.getPort() == -1 ? "" : ":" + url.getPort()))
                    .orElse("http://alert-webhook-not-set.invalid");
        }
    }

    /**
     * When an observation becomes an alert that says why (docs/operators.md, "Alerts and what they mean"): count 0 for longer than
     * {@code noQrAfter}; {@code qrLimitRepeats} QR-limit closes of one instance within {@code qrLimitWindow}; more than
     * {@code staleQrMaxPercent} % of the QRs read within {@code staleQrWindow} (at least {@code staleQrMinReads})
     * found stale on screen; once firing, that alert resolves only at {@code staleQrClearPercent} % or less (over the
     * same window), so that a rate around the threshold does not fire and resolve by turns.
     */
    public record AlertCauses(Duration noQrAfter, int qrLimitRepeats, Duration qrLimitWindow, Duration staleQrWindow,
                              int staleQrMaxPercent, int staleQrMinReads, int staleQrClearPercent) {
    }

    /** Health, metrics and Jolokia on their own port; Jolokia only with credentials. */
    public record Management(int port, boolean jolokiaEnabled, Optional<String> jolokiaUser,
                             Optional<String> jolokiaPassword, String logFormat) {
    }

    /** Push and real time: Evolution webhooks in, NOTIFY out, the live QR stream. */
    public record Events(Optional<String> webhookToken, Duration qrLifetime, boolean refreshOnRequest,
                         int heartbeatMillis,
                         int streamHeartbeatMillis, int maxQrImageBytes) {
    }

    /** The live QR stream: who may open it, and the bounds that keep it from exhausting the process. */
    public record Stream(int maxClients, int maxClientsPerInstance, int clientBufferBytes, Duration maxDuration,
                         int maxPending, int authFailuresPerMinute, boolean allowInstanceToken,
                         Optional<String> viewerTokenSecret, Duration viewerTokenTtl, Optional<String> viewerJwtSecret,
                         String viewerJwtClaim, Optional<URI> viewerJwksUrl) {
    }

    /**
     * The QR screen in other sites' pages: the origins allowed to use the stream, the widget's script and the renew
     * endpoint from a browser (exact origins, none by default: same origin only), and how often one instance may be
     * asked for a new code.
     */
    public record Widget(List<String> corsAllowedOrigins, Duration renewMinInterval) {

        public boolean allowsOrigin(String origin) {
            return origin != null && corsAllowedOrigins.contains(origin);
        }
    }

    /**
     * Link pages ({@code GET /link/<token>}): the service's public address for the links it makes (else the address the
     * operator's request named), the product's name and logo on the page, whom the person should ask for a new link,
     * and a folder of extra languages ({@code <lang>.json}, read at start).
     */
    public record LinkPage(Optional<URI> publicUrl, Optional<String> title, Optional<URI> logoUrl,
                           Optional<String> contact, Optional<java.nio.file.Path> languagesDir) {
    }

    /**
     * The public HTTP server's own protection: where it listens, how long a client may take to send a request's
     * headers, how long a keep-alive connection may stay idle, how many connections it holds (in all, and per client
     * address: peers in {@code trustedProxies} are exempt from the latter), the socket send buffer, and the proxies
     * whose X-Forwarded-For / Forwarded headers name the client.
     */
    public record Edge(String bind, Duration headerTimeout, Duration idleTimeout, int maxConnections,
                       int maxConnectionsPerAddress, int sendBufferBytes, List<String> trustedProxies) {
    }

    /**
     * What a user JWT must also say, beyond its signature and {@code exp}/{@code nbf}: the audience and issuer when
     * set, and a lifetime ({@code exp} less {@code iat}, and {@code exp} less now) within {@code maxLifetime}.
     */
    public record UserJwt(Optional<String> audience, Optional<String> issuer, Duration maxLifetime) {
        public static final UserJwt ANY = new UserJwt(Optional.empty(), Optional.empty(), Duration.ofHours(24));
    }

    private final Widget widget;
    private final LinkPage linkPage;
    private final Edge edge;
    private final UserJwt userJwt;
    private final Database database;
    private final Evolution evolution;
    private final Refresh refresh;
    private final Alerts alerts;
    private final AlertCauses alertCauses;
    private final Events events;
    private final Stream stream;
    private final Management management;
    private final Optional<String> adminToken;
    private final int httpPort;
    private final String serviceName;

    private Settings(Function<String, String> lookup) {
        Reader in = new Reader(lookup);
        Optional<String> databaseUrl = in.text(Setting.DATABASE_URL);
        this.database = new Database(
                databaseUrl.map(url -> DatabaseUrl.parse(url,
                        in.text(Setting.DATABASE_USER).orElse(null),
                        in.text(Setting.DATABASE_PASSWORD).orElse(null))),
                in.text(Setting.DATABASE_LISTEN_URL).map(url -> DatabaseUrl.parse(Setting.DATABASE_LISTEN_URL, url,
                        in.text(Setting.DATABASE_USER).orElse(null),
                        in.text(Setting.DATABASE_PASSWORD).orElse(null))),
                in.integer(Setting.DATABASE_POOL_SIZE, 0, 0, 500),
                in.integer(Setting.DATABASE_WAIT_MS, 5000, 250, 60_000),
                Path.of(in.text(Setting.EMBEDDED_POSTGRES_DATA_DIR).orElse("data")),
                in.integer(Setting.EMBEDDED_POSTGRES_PORT, 54329, 0, 65535));

        if (database.listenUrl().isPresent() && database.url().isEmpty()) {
            throw new InvalidSettingException(Setting.DATABASE_LISTEN_URL, "needs DATABASE_URL (it is a second URL of"
                    + " the same database)");
        }
        Optional<URI> baseUrl = in.httpUrl(Setting.EVOLUTION_API_BASE_URL, false);
        Optional<String> globalApiKey = in.text(Setting.EVOLUTION_API_KEY);
        List<EvolutionServer> servers = in.servers(baseUrl, globalApiKey);
        if (databaseUrl.isPresent() && servers.isEmpty()) {
            throw new InvalidSettingException(Setting.EVOLUTION_API_BASE_URL,
                    "is required when DATABASE_URL is set, or EVOLUTION_SERVERS for several servers (leave both"
                            + " unset to run the demo)");
        }
        int refreshConcurrency = in.integer(Setting.QR_REFRESH_CONCURRENCY, 8, 1, 512);
        this.evolution = new Evolution(servers.isEmpty() ? Optional.empty() : Optional.of(servers.get(0).baseUrl()),
                globalApiKey, servers,
                in.integer(Setting.EVOLUTION_TIMEOUT_MS, 8000, 100, 600_000),
                in.integer(Setting.EVOLUTION_MAX_REPLY_BYTES, 1_048_576, 1024, 64 * 1_048_576),
                new CircuitBreaker(
                        in.integer(Setting.EVOLUTION_CIRCUIT_FAILURE_RATE, 50, 1, 100),
                        in.integer(Setting.EVOLUTION_CIRCUIT_WINDOW_SIZE, 20, 1, 10_000),
                        in.integer(Setting.EVOLUTION_CIRCUIT_MINIMUM_CALLS, 10, 1, 10_000),
                        in.duration(Setting.EVOLUTION_CIRCUIT_OPEN_DURATION, Duration.ofSeconds(30), Duration.ofSeconds(1)),
                        in.integer(Setting.EVOLUTION_CIRCUIT_HALF_OPEN_CALLS, 3, 1, 1000)),
                Duration.ofMillis(in.integer(Setting.EVOLUTION_DISCOVERY_INTERVAL_MS, 300_000, 1000, 86_400_000)),
                Duration.ofMillis(in.integer(Setting.EVOLUTION_INFO_INTERVAL_MS, 300_000, 1000, 86_400_000)),
                in.integer(Setting.EVOLUTION_SERVER_CONCURRENCY, refreshConcurrency, 1, 512));

        Duration minInterval = in.duration(Setting.QR_REFRESH_MIN_INTERVAL, Duration.ofSeconds(2),
                Duration.ofSeconds(1));
        String refreshCron = in.cron(Setting.QR_REFRESH_CRON, "0 * * * * ?");
        String tooFrequent = Refresh.tooFrequent(refreshCron, minInterval);
        if (tooFrequent != null) {
            throw new InvalidSettingException(Setting.QR_REFRESH_CRON, tooFrequent);
        }
        this.refresh = new Refresh(
                refreshCron,
                refreshConcurrency,
                in.integer(Setting.QR_REFRESH_LIMIT, 0, 0, Integer.MAX_VALUE),
                in.duration(Setting.QR_REFRESH_MIN_AGE, Duration.ZERO, Duration.ZERO),
                in.duration(Setting.QR_CLOSE_CONFIRM_AFTER, Duration.ofSeconds(10), Duration.ZERO),
                in.duration(Setting.QR_RUN_HISTORY_RETENTION, Duration.ofDays(30), Duration.ofHours(1)),
                new Coverage(in.bool(Setting.QR_REFRESH_COVERED, true),
                        in.duration(Setting.QR_COVERED_FOR, Duration.ofSeconds(60), Duration.ofSeconds(1)),
                        in.duration(Setting.QR_COVERED_READ_INTERVAL, Duration.ofMinutes(5), Duration.ofSeconds(1))),
                minInterval);

        this.alerts = new Alerts(
                in.cron(Setting.QR_FAILURE_CHECK_CRON, "0 */10 * * * ?"),
                in.duration(Setting.QR_STALE_AFTER, Duration.ofMinutes(5), Duration.ofSeconds(1)),
                in.httpUrl(Setting.ALERT_WEBHOOK_URL, true),
                in.text(Setting.ALERT_WEBHOOK_SECRET),
                in.oneOf(Setting.ALERT_WEBHOOK_FORMAT, "generic", "generic", "slack", "teams", "teams-workflows",
                        "alertmanager"),
                in.duration(Setting.ALERT_REMINDER_INTERVAL, Duration.ofHours(6), Duration.ZERO),
                in.integer(Setting.ALERT_MAX_INSTANCES, 50, 0, 10_000),
                in.duration(Setting.ALERT_DELIVERY_MAX_AGE, Duration.ofHours(24), Duration.ofSeconds(1)),
                in.duration(Setting.ALERT_DELIVERY_RETRY_BASE, Duration.ofSeconds(5), Duration.ofMillis(100)),
                in.integer(Setting.ALERT_DELIVERY_POLL_MS, 2000, 50, 3_600_000),
                in.integer(Setting.ALERT_DELIVERY_BATCH_SIZE, 20, 1, 1000),
                in.duration(Setting.ALERT_DELIVERY_CLAIM_FOR, Duration.ofMinutes(5), Duration.ofSeconds(10)),
                in.duration(Setting.ALERT_DELIVERY_RETRY_MAX, Duration.ofMinutes(5), Duration.ofSeconds(1)));
        int staleQrMaxPercent = in.integer(Setting.ALERT_STALE_QR_MAX_PERCENT, 20, 0, 100);
        this.alertCauses = new AlertCauses(
                in.duration(Setting.ALERT_NO_QR_AFTER, Duration.ofMinutes(3), Duration.ofSeconds(1)),
                in.integer(Setting.ALERT_QR_LIMIT_REPEATS, 3, 1, 1000),
                in.duration(Setting.ALERT_QR_LIMIT_WINDOW, Duration.ofHours(2), Duration.ofSeconds(1)),
                in.duration(Setting.ALERT_STALE_QR_WINDOW, Duration.ofMinutes(10), Duration.ofSeconds(1)),
                staleQrMaxPercent,
                in.integer(Setting.ALERT_STALE_QR_MIN_READS, 20, 1, 1_000_000),
                // half the firing threshold unless set; above it, the alert could never resolve below it
                in.integer(Setting.ALERT_STALE_QR_CLEAR_PERCENT, staleQrMaxPercent / 2, 0, staleQrMaxPercent));
        in.integer(Setting.QR_CONTROL_WATCH_MS, 5000, 100, 3_600_000);
        in.integer(Setting.QR_WAITING_COUNT_MS, 15_000, 1000, 3_600_000);
        in.integer(Setting.EVOLUTION_CHECK_MS, 2000, 100, 600_000);

        this.events = new Events(
                in.text(Setting.EVOLUTION_WEBHOOK_TOKEN),
                in.duration(Setting.QR_LIFETIME, Duration.ofSeconds(45), Duration.ofSeconds(1)),
                in.bool(Setting.QR_REFRESH_ON_REQUEST, true),
                in.integer(Setting.QR_EVENTS_HEARTBEAT_MS, 5000, 100, 600_000),
                in.integer(Setting.QR_STREAM_HEARTBEAT_MS, 15_000, 100, 600_000),
                in.integer(Setting.QR_MAX_IMAGE_BYTES, 65_536, 1024, 1_048_576));

        this.stream = new Stream(
                in.integer(Setting.QR_STREAM_MAX_CLIENTS, 10_000, 1, 1_000_000),
                in.integer(Setting.QR_STREAM_MAX_CLIENTS_PER_INSTANCE, 20, 1, 1_000_000),
                in.integer(Setting.QR_STREAM_CLIENT_BUFFER_BYTES, 262_144, 4096, 64 * 1_048_576),
                in.duration(Setting.QR_STREAM_MAX_DURATION, Duration.ofHours(1), Duration.ofSeconds(10)),
                in.integer(Setting.QR_STREAM_MAX_PENDING, 256, 1, 100_000),
                in.integer(Setting.QR_STREAM_AUTH_FAILURES_PER_MINUTE, 30, 1, 1_000_000),
                in.bool(Setting.QR_STREAM_ALLOW_INSTANCE_TOKEN, false),
                in.secret(Setting.VIEWER_TOKEN_SECRET, 32),
                in.duration(Setting.VIEWER_TOKEN_TTL, Duration.ofMinutes(5), Duration.ofSeconds(10)),
                in.secret(Setting.VIEWER_JWT_SECRET, 32),
                in.text(Setting.VIEWER_JWT_CLAIM).orElse("sub"),
                in.httpUrl(Setting.VIEWER_JWKS_URL, true));
        Optional<URI> publicUrl = in.httpUrl(Setting.PUBLIC_URL, false);
        if (publicUrl.isPresent() && publicUrl.get().getRawPath() != null && publicUrl.get().getRawPath().length() > 1
                && !publicUrl.get().getRawPath().endsWith("/")) {
            publicUrl = Optional.of(URI.create(publicUrl.get() + "/"));
        }
        Optional<String> languagesDir = in.text(Setting.LANGUAGES_DIR);
        if (languagesDir.isPresent() && !java.nio.file.Files.isDirectory(java.nio.file.Path.of(languagesDir.get()))) {
            throw new InvalidSettingException(Setting.LANGUAGES_DIR, "is not a readable folder: " + languagesDir.get());
        }
        Optional<String> title = in.text(Setting.LINK_PAGE_TITLE);
        Optional<String> contact = in.text(Setting.LINK_PAGE_CONTACT);
        if (title.map(String::length).orElse(0) > 80 || contact.map(String::length).orElse(0) > 200) {
            throw new InvalidSettingException(title.map(String::length).orElse(0) > 80 ? Setting.LINK_PAGE_TITLE
                    : Setting.LINK_PAGE_CONTACT, "is too long for a page's header (80 and 200 characters at most)");
        }
        this.linkPage = new LinkPage(publicUrl, title, in.httpUrl(Setting.LINK_PAGE_LOGO_URL, true), contact,
                languagesDir.map(java.nio.file.Path::of));
        // the service's own public origin (PUBLIC_URL) serves the link pages, whose "get a new code" and pairing code
        // are requests of that origin: allowed as if listed (a domain name is never taken for the service's own
        // from the request alone: a DNS-rebinding page sends the same Host and Origin)
        List<String> origins = new java.util.ArrayList<>(in.origins(Setting.CORS_ALLOWED_ORIGINS));
        publicUrl.map(url -> url.getScheme() + "://" + url.getRawAuthority()).filter(origin -> !origins.contains(origin))
                .ifPresent(origins::add);
        this.widget = new Widget(List.copyOf(origins),
                in.duration(Setting.QR_RENEW_MIN_INTERVAL, Duration.ofSeconds(30), Duration.ofSeconds(1)));
        if (stream.viewerTokenTtl().compareTo(Duration.ofHours(24)) > 0) {
            throw new InvalidSettingException(Setting.VIEWER_TOKEN_TTL, "must be at most PT24H (a viewer token is a"
                    + " short-lived credential; streams reconnect with a fresh one)");
        }

        this.management = new Management(
                in.integer(Setting.MANAGEMENT_PORT, 9876, 1, 65535),
                in.bool(Setting.JOLOKIA_ENABLED, false),
                in.text(Setting.JOLOKIA_USER),
                in.text(Setting.JOLOKIA_PASSWORD),
                in.oneOf(Setting.LOG_FORMAT, "text", "text", "json", "ecs"));
        if (management.jolokiaEnabled()) {
            if (management.jolokiaUser().isEmpty() || management.jolokiaPassword().isEmpty()) {
                throw new InvalidSettingException(Setting.JOLOKIA_ENABLED, "JOLOKIA_USER and JOLOKIA_PASSWORD are"
                        + " required when Jolokia is enabled (it can stop routes and read every MBean)");
            }
            if (management.jolokiaPassword().get().length() < 12) {
                throw new InvalidSettingException(Setting.JOLOKIA_PASSWORD, "must be at least 12 characters");
            }
            if (!management.jolokiaUser().get().matches("[A-Za-z0-9_.-]+")) {
                throw new InvalidSettingException(Setting.JOLOKIA_USER, "may only hold letters, digits, '.', '_', '-'");
            }
        }

        this.userJwt = new UserJwt(in.text(Setting.VIEWER_JWT_AUDIENCE), in.text(Setting.VIEWER_JWT_ISSUER),
                in.duration(Setting.VIEWER_JWT_MAX_LIFETIME, Duration.ofHours(24), Duration.ofMinutes(1)));
        this.edge = new Edge(in.text(Setting.HTTP_BIND).orElse("0.0.0.0"),
                Duration.ofMillis(in.integer(Setting.HTTP_HEADER_TIMEOUT_MS, 10_000, 100, 600_000)),
                Duration.ofSeconds(in.integer(Setting.HTTP_IDLE_TIMEOUT_SECONDS, 60, 1, 3600)),
                in.integer(Setting.HTTP_MAX_CONNECTIONS, 4096, 16, 1_000_000),
                in.integer(Setting.HTTP_MAX_CONNECTIONS_PER_ADDRESS, 128, 1, 1_000_000),
                in.integer(Setting.HTTP_SEND_BUFFER_BYTES, 65_536, 4096, 16 * 1024 * 1024),
                in.text(Setting.TRUSTED_PROXIES).map(value -> List.of(value.split("\\s*,\\s*"))).orElse(List.of()));
        if (edge.idleTimeout().toMillis() <= events.streamHeartbeatMillis()) {
            throw new InvalidSettingException(Setting.HTTP_IDLE_TIMEOUT_SECONDS, "must be longer than"
                    + " QR_STREAM_HEARTBEAT_MS (" + events.streamHeartbeatMillis() + " ms): live streams would be cut");
        }
        this.adminToken = in.text(Setting.ADMIN_TOKEN);
        this.httpPort = in.integer(Setting.HTTP_PORT, 8080, 1, 65535);
        this.serviceName = in.text(Setting.SERVICE_NAME).orElse("qr-refresher");
    }

    /**
     * Reads and validates every setting.
     *
     * @param lookup the raw value of a property key, or null when it is not set
     */
    public static Settings load(Function<String, String> lookup) {
        return new Settings(lookup);
    }

    /** No database and no Evolution API configured: run on embedded PostgreSQL against the built-in simulator. */
    public boolean isDemo() {
        return database.url().isEmpty() && evolution.servers().isEmpty();
    }

    public Database database() {
        return database;
    }

    public Evolution evolution() {
        return evolution;
    }

    public Refresh refresh() {
        return refresh;
    }

    public Alerts alerts() {
        return alerts;
    }

    public AlertCauses alertCauses() {
        return alertCauses;
    }

    public Events events() {
        return events;
    }

    public Stream stream() {
        return stream;
    }

    public Widget widget() {
        return widget;
    }

    public LinkPage linkPage() {
        return linkPage;
    }

    public Management management() {
        return management;
    }

    public UserJwt userJwt() {
        return userJwt;
    }

    public Edge edge() {
        return edge;
    }

    public Optional<String> adminToken() {
        return adminToken;
    }

    public int httpPort() {
        return httpPort;
    }

    public String serviceName() {
        return serviceName;
    }

    /** Parses raw values; every error names the setting it came from. */
    private static final class Reader {
        private final Function<String, String> lookup;

        Reader(Function<String, String> lookup) {
            this.lookup = lookup;
        }

        Optional<String> text(Setting setting) {
            String value = lookup.apply(setting.key());
            if (Setting.SECRETS.contains(setting)) {
                value = fromFile(setting, value);
            }
            if (value != null && Setting.READ_BY_ROUTES.contains(setting)) {
                if (value.isBlank()) {
                    throw new InvalidSettingException(setting, "is set but empty, and the routes read it as written:"
                            + " remove it to use the default of application.properties, or give a value");
                }
                if (!value.equals(value.trim())) {
                    throw new InvalidSettingException(setting, "'" + value + "' has spaces around it, and the routes"
                            + " read it as written: remove them");
                }
            }
            return value == null || value.isBlank() ? Optional.empty() : Optional.of(value.trim());
        }

        /** The content of the file {@code <NAME>_FILE} names, when it is set; else {@code value}. */
        private String fromFile(Setting setting, String value) {
            String file = lookup.apply(setting.key() + ".file");
            if (file == null || file.isBlank()) {
                return value;
            }
            if (value != null && !value.isBlank()) {
                throw new InvalidSettingException(setting, "and " + setting.env() + "_FILE are both set: keep one");
            }
            String content;
            try {
                content = java.nio.file.Files.readString(Path.of(file.trim())).strip();
            } catch (java.io.IOException | RuntimeException e) {
                throw new InvalidSettingException(setting, "cannot be read from " + setting.env() + "_FILE ("
                        + file.trim() + "): " + e.getClass().getSimpleName()
                        + (e.getMessage() == null ? "" : ": " + e.getMessage()));
            }
            if (content.isEmpty()) {
                throw new InvalidSettingException(setting, "is empty in " + setting.env() + "_FILE (" + file.trim()
                        + ")");
            }
            return content;
        }

        Optional<String> secret(Setting setting, int minLength) {
            Optional<String> value = text(setting);
            if (value.isPresent() && value.get().length() < minLength) {
                throw new InvalidSettingException(setting, "must be at least " + minLength + " characters"
                        + " (a random secret, e.g. openssl rand -hex 32)");
            }
            return value;
        }

        int integer(Setting setting, int defaultValue, int min, int max) {
            Optional<String> value = text(setting);
            if (value.isEmpty()) {
                return defaultValue;
            }
            int parsed;
            try {
                parsed = Integer.parseInt(value.get());
            } catch (NumberFormatException e) {
                throw new InvalidSettingException(setting, "'" + value.get() + "' is not a whole number");
            }
            if (parsed < min || parsed > max) {
                throw new InvalidSettingException(setting, parsed + " is outside " + min + ".." + max);
            }
            return parsed;
        }

        String oneOf(Setting setting, String defaultValue, String... allowed) {
            String value = text(setting).orElse(defaultValue);
            for (String candidate : allowed) {
                if (candidate.equals(value)) {
                    return value;
                }
            }
            throw new InvalidSettingException(setting, "'" + value + "' is not one of " + String.join(", ", allowed));
        }

        boolean bool(Setting setting, boolean defaultValue) {
            Optional<String> value = text(setting);
            if (value.isEmpty()) {
                return defaultValue;
            }
            if (!value.get().equals("true") && !value.get().equals("false")) {
                throw new InvalidSettingException(setting, "'" + value.get() + "' is neither true nor false");
            }
            return Boolean.parseBoolean(value.get());
        }

        Duration duration(Setting setting, Duration defaultValue, Duration min) {
            Optional<String> value = text(setting);
            if (value.isEmpty()) {
                return defaultValue;
            }
            Duration parsed;
            try {
                parsed = Duration.parse(value.get());
            } catch (DateTimeParseException e) {
                throw new InvalidSettingException(setting,
                        "'" + value.get() + "' is not an ISO-8601 duration such as PT30S, PT5M or PT1H");
            }
            if (parsed.compareTo(min) < 0) {
                throw new InvalidSettingException(setting, value.get() + " is shorter than the minimum " + min);
            }
            if (Setting.READ_BY_ROUTES.contains(setting) && !value.get().equals(value.get().toUpperCase(Locale.ROOT))) {
                throw new InvalidSettingException(setting, "write '" + value.get() + "' in capitals ("
                        + value.get().toUpperCase(Locale.ROOT) + "): the routes hand it to PostgreSQL, which reads"
                        + " ISO-8601 durations only so");
            }
            return parsed;
        }

        String cron(Setting setting, String defaultValue) {
            String value = text(setting).orElse(defaultValue);
            try {
                CronExpression.validateExpression(value);
            } catch (ParseException e) {
                String hint = value.split("\\s+").length == 5
                        ? " (that looks like a 5-field Unix cron; Quartz starts with seconds: '0 * * * * ?' is every minute)"
                        : " (Quartz cron: seconds minutes hours day-of-month month day-of-week, e.g. '0 * * * * ?')";
                throw new InvalidSettingException(setting,
                        "'" + value + "' is not a valid Quartz cron expression: " + e.getMessage() + hint);
            }
            return value;
        }

        /** Exact browser origins (scheme://host[:port]), comma-separated; never a wildcard. */
        List<String> origins(Setting setting) {
            Optional<String> value = text(setting);
            if (value.isEmpty()) {
                return List.of();
            }
            List<String> origins = new ArrayList<>();
            for (String item : value.get().split(",")) {
                String origin = item.trim();
                if (origin.isEmpty()) {
                    continue;
                }
                if (origin.contains("*")) {
                    throw new InvalidSettingException(setting, "lists exact origins (https://app.example.com), never a"
                            + " wildcard: the stream carries a credential");
                }
                URI uri;
                try {
                    uri = new URI(origin);
                } catch (URISyntaxException e) {
                    throw new InvalidSettingException(setting, "has an origin that is not a URL: " + origin);
                }
                boolean bare = uri.getHost() != null && uri.getRawUserInfo() == null
                        && (uri.getRawPath() == null || uri.getRawPath().isEmpty()) && uri.getRawQuery() == null
                        && uri.getRawFragment() == null;
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || !bare) {
                    throw new InvalidSettingException(setting, "has '" + origin + "', which is not an origin "
                            + "(scheme://host[:port], no path, as the browser sends it in Origin)");
                }
                origins.add(origin);
            }
            return List.copyOf(origins);
        }

        Optional<URI> httpUrl(Setting setting, boolean queryAllowed) {
            Optional<String> value = text(setting);
            if (value.isEmpty()) {
                return Optional.empty();
            }
            return Optional.of(httpUrl(value.get(), queryAllowed,
                    problem -> new InvalidSettingException(setting, problem)));
        }

        private static URI httpUrl(String value, boolean queryAllowed,
                                   Function<String, InvalidSettingException> invalid) {
            URI uri;
            try {
                uri = new URI(value);
            } catch (URISyntaxException e) {
                throw invalid.apply("is not a valid URL (" + e.getReason() + ")");
            }
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw invalid.apply("must be an http:// or https:// URL");
            }
            if (uri.getHost() == null) {
                throw invalid.apply("has no host");
            }
            if (uri.getRawUserInfo() != null) {
                throw invalid.apply("must not contain credentials (user:password@)");
            }
            if ((!queryAllowed && uri.getRawQuery() != null) || uri.getRawFragment() != null) {
                throw invalid.apply(queryAllowed ? "must not have a fragment"
                        : "must not have a query string or fragment");
            }
            return uri;
        }

        /**
         * The Evolution servers: EVOLUTION_SERVERS ({@code name=url} pairs, or names whose URL is
         * {@code evolution.servers.<name>.base-url}), else the one of EVOLUTION_API_BASE_URL, named {@code default}.
         * Each key: {@code evolution.servers.<name>.api-key}, else EVOLUTION_API_KEY_&lt;NAME&gt;, else the global key.
         */
        List<EvolutionServer> servers(Optional<URI> baseUrl, Optional<String> globalApiKey) {
            Optional<String> list = text(Setting.EVOLUTION_SERVERS);
            if (list.isEmpty()) {
                return baseUrl.map(url -> List.of(new EvolutionServer(EvolutionServer.DEFAULT, url, globalApiKey)))
                        .orElse(List.of());
            }
            if (baseUrl.isPresent()) {
                throw new InvalidSettingException(Setting.EVOLUTION_SERVERS, "is set together with EVOLUTION_API_BASE_URL:"
                        + " name every server in EVOLUTION_SERVERS (for example default=" + baseUrl.get()
                        + ",br2=https://evo-br2.example.com) and unset EVOLUTION_API_BASE_URL");
            }
            List<EvolutionServer> servers = new ArrayList<>();
            java.util.Set<String> names = new java.util.HashSet<>();
            for (String entry : list.get().split(",", -1)) {
                String item = entry.trim();
                if (item.isEmpty()) {
                    throw new InvalidSettingException(Setting.EVOLUTION_SERVERS, "has an empty entry: write"
                            + " name=url pairs separated by commas (br1=https://evo-br1.example.com,br2=https://...)");
                }
                int equals = item.indexOf('=');
                String name = (equals < 0 ? item : item.substring(0, equals)).trim();
                if (!name.matches("[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?")) {
                    throw new InvalidSettingException(Setting.EVOLUTION_SERVERS, "'" + shown(name) + "' is not a"
                            + " server name: lower-case letters, digits and '-', 1 to 32 characters, not starting or"
                            + " ending with '-'");
                }
                if (!names.add(name)) {
                    throw new InvalidSettingException(Setting.EVOLUTION_SERVERS, "names the server '" + name
                            + "' twice");
                }
                String urlKey = "evolution.servers." + name + ".base-url";
                String url = equals < 0 ? lookup.apply(urlKey) : item.substring(equals + 1).trim();
                if (url == null || url.isBlank()) {
                    throw new InvalidSettingException(Setting.EVOLUTION_SERVERS, "has no URL for the server '" + name
                            + "': write " + name + "=https://... or set " + urlKey);
                }
                URI uri = httpUrl(url.trim(), false, problem -> new InvalidSettingException(Setting.EVOLUTION_SERVERS,
                        "the URL of the server '" + name + "' " + problem));
                String ownKey = lookup.apply("evolution.servers." + name + ".api-key");
                if (ownKey == null || ownKey.isBlank()) {
                    ownKey = lookup.apply("evolution.api-key-" + name);
                }
                servers.add(new EvolutionServer(name, uri, ownKey == null || ownKey.isBlank() ? globalApiKey
                        : Optional.of(ownKey.trim())));
            }
            return List.copyOf(servers);
        }

        /** A value as it may be shown in one line of an error: printable, at most 40 characters. */
        private static String shown(String value) {
            return io.qrrefresher.common.Failures.printable(value, 40);
        }
    }
}
