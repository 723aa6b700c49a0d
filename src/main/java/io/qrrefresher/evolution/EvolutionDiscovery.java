package io.qrrefresher.evolution;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.common.Failures;
import io.qrrefresher.config.Settings.EvolutionServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which Evolution server holds the instances whose row names none ({@code evolution_server} NULL), when several
 * servers are configured: each server's own list ({@code GET /instance/fetchInstances} with its key), read by the
 * route made from the template {@code evolution-server-discovery} at start, every EVOLUTION_DISCOVERY_INTERVAL_MS, and
 * soon after a call for such a row answered 404 (the instance moved, or is new). What a list says is written to
 * {@code qr_refresher.discovered_instances} (the application's column is never written).
 *
 * <p>Evolution nodes that share one database (each with its own DATABASE_CONNECTION_CLIENT_NAME) list each other's
 * instances: an entry whose {@code clientName} is not the one the server's {@code GET /} reports is not its own. A
 * list is therefore read only once that server's {@code GET /} has answered. The body carries every instance's token:
 * only names are kept, and nothing of it is logged.
 */
public final class EvolutionDiscovery {

    private static final Logger LOG = LoggerFactory.getLogger(EvolutionDiscovery.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A list of 10 000 instances is a few megabytes; a longer answer is not read. */
    static final long MAX_BYTES = 64L * 1024 * 1024;
    /** More entries than this is not a list of one server's instances (or not one to hold in memory): not read. */
    static final int MAX_ENTRIES = 100_000;
    /** Names longer than this are no instance name of Evolution's; not kept. */
    private static final int MAX_NAME = 255;

    /** One server's list, read: the names it holds, as the JSON array the route binds into its SQL. */
    public record Listing(String server, List<String> names, String problem) {

        /** The list was read: the route writes it. */
        public boolean isUsable() {
            return problem == null;
        }

        /** The names as a JSON array (bound as one parameter, read with jsonb_array_elements_text). */
        public String getNamesJson() {
            try {
                return JSON.writeValueAsString(names);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    /** What is known of one server's list. */
    private static final class Known {
        Instant attemptStartedAt;
        Instant listedAt;
        Instant listingStartedAt;
        int listed;
        String problem;
    }

    private final EvolutionServers servers;
    private final Function<String, EvolutionServerInfo.Reading> readings;
    private final Duration interval;
    private final Clock clock;
    private final Map<String, Known> known = new ConcurrentHashMap<>();
    /** Set by a 404 for a row that names no server; served once every server was listed after it. */
    private volatile Instant requestedAt;

    /**
     * @param readings what each server's GET / said last (its clientName)
     * @param interval how often each list is read again (EVOLUTION_DISCOVERY_INTERVAL_MS)
     */
    public EvolutionDiscovery(EvolutionServers servers, Function<String, EvolutionServerInfo.Reading> readings,
                              Duration interval, Clock clock) {
        this.servers = servers;
        this.readings = readings;
        this.interval = interval;
        this.clock = clock;
        servers.all().forEach(server -> known.put(server.name(), new Known()));
    }

    // ------------------------------------------------------------------ the route evolution-server-discovery

    /**
     * Whether {@code server}'s list is to be read now: never read, read longer than the interval ago, or asked for by a
     * 404 since its last attempt; and only once its GET / answered (its clientName is known) and with a key to ask.
     */
    public boolean due(String server) {
        Known state = known.get(server);
        Optional<EvolutionServer> configured = servers.of(server);
        if (state == null || configured.isEmpty() || !servers.isFleet()) {
            return false;
        }
        if (configured.get().apiKey().isEmpty()) {
            note(state, server, "no key to ask for its instances: set EVOLUTION_API_KEY_" + envName(server)
                    + " (or EVOLUTION_API_KEY); rows of its instances must name it in evolution_server");
            return false;
        }
        EvolutionServerInfo.Reading reading = readings.apply(server);
        if (reading == null || reading.version() == null) {
            if (reading != null && reading.licenceRequired()) {
                note(state, server, EvolutionReply.LICENCE_REQUIRED);
            } else {
                // at start, until its GET / answers: not worth a warning
                synchronized (state) {
                    state.problem = "waiting for its GET / to answer (its clientName tells its own instances from"
                            + " those of nodes sharing its database)";
                }
            }
            return false;
        }
        Instant now = clock.instant();
        Instant asked = requestedAt;
        synchronized (state) {
            boolean due = state.attemptStartedAt == null
                    || !state.attemptStartedAt.plus(interval).isAfter(now)
                    || asked != null && state.attemptStartedAt.isBefore(asked);
            if (due) {
                state.attemptStartedAt = now;
            }
            return due;
        }
    }

    /** The key the list is asked with (the server's key: its list names every instance). */
    public String apiKey(String server) {
        return servers.of(server).flatMap(EvolutionServer::apiKey).orElse(null);
    }

    /**
     * Reads the answer to {@code GET /instance/fetchInstances}: an array of instances (v2: {@code name},
     * {@code clientName}; v1: {@code instance.instanceName}), streamed, never beyond {@link #MAX_BYTES}.
     */
    public Listing read(String server, Integer status, InputStream body) {
        int code = status == null ? 0 : status;
        String problem = null;
        List<String> names = new ArrayList<>();
        InputStream in = body == null ? InputStream.nullInputStream() : body;
        try {
            if (code != 200) {
                byte[] start = EvolutionCall.readAtMost(in, 4096);
                EvolutionReply reply = EvolutionReply.parse(code, null, start == null ? new byte[0] : start);
                problem = "GET /instance/fetchInstances answered HTTP " + code
                        + (reply.problem() == null ? "" : ": " + reply.problem());
            } else {
                problem = names(in, ownClientName(server), names);
            }
        } catch (IOException e) {
            problem = "GET /instance/fetchInstances could not be read: " + Failures.describe(e);
        }
        try {
            // an answer not read to its end drops its connection rather than draining it
            if (problem != null) {
                EvolutionCall.discard(in);
            } else {
                in.close();
            }
        } catch (IOException e) {
            LOG.debug("Closing the list of '{}': {}", server, e.getMessage());
        }
        return new Listing(server, problem == null ? List.copyOf(names) : List.of(), problem);
    }

    /** The list was written: what the rows that name no server are found on is current. */
    public void listed(Listing listing) {
        Known state = known.get(listing.server());
        if (state == null) {
            return;
        }
        synchronized (state) {
            boolean first = state.listedAt == null || state.problem != null;
            state.listingStartedAt = state.attemptStartedAt;
            state.listedAt = clock.instant();
            state.listed = listing.names().size();
            state.problem = null;
            if (first) {
                LOG.info("Evolution server '{}' lists {} of the rows of evolution_instances", listing.server(),
                        listing.names().size());
            }
        }
    }

    /** The list could not be read or written. */
    public void failed(String server, Listing listing, Throwable cause) {
        Known state = known.get(server);
        if (state != null) {
            note(state, server, listing != null && listing.problem() != null ? listing.problem()
                    : "its instances could not be listed: " + Failures.describe(cause));
        }
    }

    // ------------------------------------------------------------------ used by the refresh

    /**
     * A call for a row that names no server answered 404: list every server again soon (the instance moved, or was
     * created after the last list). A request already waiting is kept, so that runs faster than a listing cannot
     * postpone it for ever; once every server was asked since, a new request is taken (a list that failed is then
     * asked for again).
     */
    public void request() {
        if (!servers.isFleet()) {
            return;
        }
        Instant asked = requestedAt;
        if (asked == null || attemptedSince(asked)) {
            requestedAt = clock.instant();
        }
    }

    /** Every server's list was asked for (read or not) since {@code asked}: that request is no longer waiting. */
    private boolean attemptedSince(Instant asked) {
        for (Known state : known.values()) {
            synchronized (state) {
                if (state.attemptStartedAt == null || state.attemptStartedAt.isBefore(asked)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * Every server's list was read after the last request (or at all, when none is waiting): a row that none of them
     * lists is then on no server.
     */
    public boolean everyServerListedSinceAsked() {
        Instant asked = requestedAt;
        return asked != null && served(asked);
    }

    private boolean served(Instant asked) {
        for (Known state : known.values()) {
            synchronized (state) {
                if (state.listingStartedAt == null || state.listingStartedAt.isBefore(asked) || state.problem != null) {
                    return false;
                }
            }
        }
        return true;
    }

    /** For GET /evolution-servers: when the server's list was read, how many rows it holds, and what failed. */
    public Map<String, Object> describe(String server) {
        Map<String, Object> item = new LinkedHashMap<>();
        Known state = known.get(server);
        if (state == null || !servers.isFleet()) {
            return item;
        }
        synchronized (state) {
            item.put("listed_at", state.listedAt == null ? null : state.listedAt.toString());
            item.put("instances_listed", state.listedAt == null ? null : state.listed);
            item.put("listing_problem", state.problem);
        }
        return item;
    }

    // ------------------------------------------------------------------ reading the list

    private Optional<String> ownClientName(String server) {
        EvolutionServerInfo.Reading reading = readings.apply(server);
        return Optional.ofNullable(reading == null ? null : reading.clientName());
    }

    /** Adds the names of the server's own instances; returns the problem, or null. */
    private static String names(InputStream body, Optional<String> clientName, List<String> names) throws IOException {
        Set<String> seen = new LinkedHashSet<>();
        try (JsonParser parser = JSON.getFactory().createParser(new Bounded(body, MAX_BYTES))
                .disable(JsonParser.Feature.AUTO_CLOSE_SOURCE)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                return "GET /instance/fetchInstances did not answer a JSON array: is this Evolution API v2?";
            }
            int entries = 0;
            while (parser.nextToken() == JsonToken.START_OBJECT) {
                if (++entries > MAX_ENTRIES) {
                    return "GET /instance/fetchInstances answered more than " + MAX_ENTRIES + " instances; not read";
                }
                JsonNode entry = parser.readValueAsTree();
                String name = text(entry.path("name"));
                if (name == null) {
                    name = text(entry.path("instance").path("instanceName"));
                }
                String owner = text(entry.path("clientName"));
                boolean another = owner != null && clientName.isPresent() && !owner.equals(clientName.get());
                if (name != null && !another && name.length() <= MAX_NAME) {
                    seen.add(name);
                }
            }
            if (parser.currentToken() != JsonToken.END_ARRAY) {
                return "GET /instance/fetchInstances answered an array of something else than instances";
            }
        } catch (Bounded.TooLong e) {
            return "GET /instance/fetchInstances answered more than " + MAX_BYTES + " bytes; not read";
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            return String.valueOf(e.getOriginalMessage()).contains("end-of-input")
                    ? "GET /instance/fetchInstances answered a list that ends early (the answer was cut)"
                    : "GET /instance/fetchInstances answered a body that is not JSON";
        }
        names.addAll(seen);
        return null;
    }

    private static String text(JsonNode node) {
        return node.isTextual() && !node.asText().isEmpty() ? node.asText() : null;
    }

    private void note(Known state, String server, String problem) {
        synchronized (state) {
            if (!problem.equals(state.problem)) {
                LOG.warn("Evolution server '{}': instances not listed: {}", server, problem);
            }
            state.problem = problem;
        }
    }

    private static String envName(String server) {
        return server.toUpperCase(java.util.Locale.ROOT).replace('-', '_');
    }

    /** Stops reading past a limit. */
    private static final class Bounded extends FilterInputStream {
        static final class TooLong extends IOException {
            TooLong() {
                super("too long", null);
            }
        }

        private long left;

        Bounded(InputStream in, long limit) {
            super(in);
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && --left < 0) {
                throw new TooLong();
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = super.read(buffer, offset, length);
            if (n > 0) {
                left -= n;
                if (left < 0) {
                    throw new TooLong();
                }
            }
            return n;
        }
    }
}
