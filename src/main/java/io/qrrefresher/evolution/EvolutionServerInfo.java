package io.qrrefresher.evolution;

import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.qrrefresher.common.Failures;
import io.qrrefresher.common.JsonAnswer;
import io.qrrefresher.config.Settings.EvolutionServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What each Evolution server says of itself ({@code GET /}: version, clientName, whatsappWebVersion), read by the
 * route made from the template {@code evolution-server-info} at start and then every EVOLUTION_INFO_INTERVAL_MS; and
 * whether it stands behind Evolution 2.4's licence gate (503 LICENSE_REQUIRED). Shown by {@code GET /evolution-servers}
 * with each server's breaker state, and as the gauge {@code qr_refresher_evolution_server_info{server,version,
 * client_name}}.
 */
public final class EvolutionServerInfo {

    private static final Logger LOG = LoggerFactory.getLogger(EvolutionServerInfo.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A GET / answer is a few hundred bytes; more is not read. */
    static final int MAX_BYTES = 65_536;

    /** The last reading of one server. */
    public record Reading(String version, String clientName, String whatsappWebVersion, boolean licenceRequired,
                          String problem, Instant readAt) {
    }

    private final EvolutionServers servers;
    private final Function<String, String> breakerState;
    private final Clock clock;
    private final Map<String, Reading> readings = new ConcurrentHashMap<>();
    private final MultiGauge info;
    private final java.time.Duration interval;
    private final Map<String, Instant> attempts = new ConcurrentHashMap<>();
    /** How soon a server whose GET / failed, or whose licence gate is closed, is read again (at most the interval). */
    static final java.time.Duration RETRY = java.time.Duration.ofSeconds(15);
    private volatile Function<String, Map<String, Object>> listings = server -> Map.of();

    /**
     * @param breakerState the state of a server's circuit breaker, by server name (CLOSED before its route made it)
     */
    public EvolutionServerInfo(EvolutionServers servers, Function<String, String> breakerState, MeterRegistry registry,
                               Clock clock) {
        this(servers, breakerState, registry, clock, java.time.Duration.ofMinutes(5));
    }

    /** @param interval how often a server's GET / is read (EVOLUTION_INFO_INTERVAL_MS) */
    public EvolutionServerInfo(EvolutionServers servers, Function<String, String> breakerState, MeterRegistry registry,
                               Clock clock, java.time.Duration interval) {
        this.interval = interval;
        this.servers = servers;
        this.breakerState = breakerState;
        this.clock = clock;
        this.info = MultiGauge.builder("qr_refresher.evolution.server.info")
                .description("1 for each Evolution server, labelled with its version and clientName as its GET /"
                        + " last said (unknown until it answered)")
                .register(registry);
        publish();
    }

    /**
     * Route evolution-server-info: whether {@code server}'s GET / is to be read now: never read, read longer than the
     * interval ago, or (while its last reading failed or found the licence gate closed) 15 s ago.
     */
    public boolean due(String server) {
        Instant now = clock.instant();
        Instant attempted = attempts.get(server);
        Reading reading = readings.get(server);
        boolean troubled = reading != null && (reading.problem() != null || reading.licenceRequired());
        java.time.Duration wait = troubled && RETRY.compareTo(interval) < 0 ? RETRY : interval;
        if (attempted == null || !attempted.plus(wait).isAfter(now)) {
            attempts.put(server, now);
            return true;
        }
        return false;
    }

    /** Route evolution-server-info: the answer to {@code GET /} of {@code server}, read within a size limit. */
    public void read(String server, Integer status, InputStream body) throws IOException {
        byte[] bytes = EvolutionCall.readAtMost(body, MAX_BYTES);
        JsonNode json = null;
        try {
            json = bytes == null ? null : JSON.readTree(bytes);
        } catch (IOException e) {
            json = null;
        }
        Reading before = readings.get(server);
        Reading now;
        int code = status == null ? 0 : status;
        if (json != null && EvolutionReply.isLicenceGate(code, json)) {
            now = new Reading(null, null, null, true, EvolutionReply.LICENCE_REQUIRED, clock.instant());
        } else if (code == 200 && json != null && json.path("version").isTextual()) {
            now = new Reading(text(json, "version"), text(json, "clientName"), text(json, "whatsappWebVersion"), false,
                    null, clock.instant());
        } else {
            now = new Reading(before == null ? null : before.version(), before == null ? null : before.clientName(),
                    before == null ? null : before.whatsappWebVersion(), false, "GET / answered HTTP " + code
                    + (bytes == null ? " with a body too large to read" : json == null ? " with a body that is not JSON"
                    : " without a version: is this Evolution API?"), clock.instant());
        }
        record(server, before, now);
    }

    /** Route evolution-server-info: {@code GET /} got no answer. */
    public void unreachable(String server, Throwable cause) {
        Reading before = readings.get(server);
        record(server, before, new Reading(before == null ? null : before.version(),
                before == null ? null : before.clientName(), before == null ? null : before.whatsappWebVersion(),
                false, "unreachable: " + Failures.describe(cause), clock.instant()));
    }

    /** What GET /evolution-servers adds for each server: its list of instances (EvolutionDiscovery). */
    public void listings(Function<String, Map<String, Object>> describe) {
        this.listings = describe;
    }

    /** The last reading of a server, or null before the first one. */
    public Reading reading(String server) {
        return readings.get(server);
    }

    /**
     * The version every Evolution server last reported, when they all reported the same one (with one server: its
     * version); empty before they answered or when they differ. The hints that depend on it use it.
     */
    public java.util.Optional<String> commonVersion() {
        String common = null;
        for (EvolutionServer server : servers.all()) {
            Reading reading = readings.get(server.name());
            if (reading == null || reading.version() == null || common != null && !common.equals(reading.version())) {
                return java.util.Optional.empty();
            }
            common = reading.version();
        }
        return java.util.Optional.ofNullable(common);
    }

    /** {@code GET /evolution-servers}: every server, what it said of itself, and its breaker. */
    public JsonAnswer answer() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("servers", cards());
        return JsonAnswer.ok(body);
    }

    /** Every server, what it said of itself, its breaker and its list of instances (GET /evolution-servers, the wall). */
    public List<Map<String, Object>> cards() {
        List<Map<String, Object>> list = new ArrayList<>();
        for (EvolutionServer server : servers.all()) {
            Reading reading = readings.get(server.name());
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("name", server.name());
            item.put("url", server.endpoint());
            item.put("version", reading == null ? null : reading.version());
            item.put("client_name", reading == null ? null : reading.clientName());
            item.put("whatsapp_web_version", reading == null ? null : reading.whatsappWebVersion());
            item.put("licence_required", reading != null && reading.licenceRequired());
            item.put("circuit_breaker", breakerState.apply(server.name()));
            item.put("problem", reading == null ? null : reading.problem());
            item.put("read_at", reading == null ? null : reading.readAt().toString());
            item.putAll(listings.apply(server.name()));
            list.add(item);
        }
        return list;
    }

    private void record(String server, Reading before, Reading now) {
        readings.put(server, now);
        boolean changed = before == null || !java.util.Objects.equals(before.version(), now.version())
                || !java.util.Objects.equals(before.problem(), now.problem())
                || before.licenceRequired() != now.licenceRequired();
        if (changed) {
            if (now.problem() == null) {
                LOG.info("Evolution server '{}': version {}, clientName {}, WhatsApp Web {}", server, now.version(),
                        now.clientName(), now.whatsappWebVersion());
            } else {
                LOG.warn("Evolution server '{}': {}", server, now.problem());
            }
        }
        publish();
    }

    private synchronized void publish() {
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (EvolutionServer server : servers.all()) {
            Reading reading = readings.get(server.name());
            rows.add(MultiGauge.Row.of(Tags.of("server", server.name(),
                    "version", reading == null || reading.version() == null ? "unknown" : reading.version(),
                    "client_name", reading == null || reading.clientName() == null ? "unknown" : reading.clientName()),
                    1));
        }
        info.register(rows, true);
    }

    private static String text(JsonNode json, String field) {
        // a label and a log line: printable, short
        return json.path(field).isTextual() ? Failures.printable(json.path(field).asText(), 64) : null;
    }
}
