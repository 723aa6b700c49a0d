package io.qrrefresher.evolution;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.qrrefresher.config.Settings.EvolutionServer;

/**
 * The Evolution servers the service calls (EVOLUTION_SERVERS, or the one of EVOLUTION_API_BASE_URL named
 * {@code default}), and which of them holds an instance: the one its row names in {@code evolution_server}, else the
 * default server ({@code default} when listed, else the first one).
 */
public final class EvolutionServers {

    /** The property the routes read the default server's name from (set by the service, not configured). */
    public static final String DEFAULT_SERVER_KEY = "evolution.default-server";

    private final Map<String, EvolutionServer> byName = new LinkedHashMap<>();
    private final EvolutionServer fallback;

    public EvolutionServers(List<EvolutionServer> servers) {
        if (servers.isEmpty()) {
            throw new IllegalArgumentException("no Evolution server");
        }
        servers.forEach(server -> byName.put(server.name(), server));
        fallback = byName.getOrDefault(EvolutionServer.DEFAULT, servers.get(0));
    }

    public List<EvolutionServer> all() {
        return List.copyOf(byName.values());
    }

    /** The server of a row whose evolution_server is {@code named}: the default one for NULL; empty when unknown. */
    public Optional<EvolutionServer> of(String named) {
        if (named == null || named.isBlank()) {
            return Optional.of(fallback);
        }
        return Optional.ofNullable(byName.get(named.trim()));
    }

    /**
     * Where the calls for a row go: {@code server}, or none and why ({@code failureReason}: unknown_server,
     * on_several_servers). {@code byDefault}: the row names no server and no list names it, so its calls go to the
     * default server, as they did before discovery.
     */
    public record Location(EvolutionServer server, boolean byDefault, String failureReason, String error) {

        static Location on(EvolutionServer server) {
            return new Location(server, false, null, null);
        }

        static Location nowhere(String reason, String error) {
            return new Location(null, false, reason, error);
        }
    }

    /**
     * Where a row's calls go: the server its {@code evolution_server} names; for a row that names none, with one
     * server, that one; with several, the one whose list names the instance ({@code discovered}: the servers whose
     * GET /instance/fetchInstances listed it, comma-separated, or null), else the default one.
     */
    public Location locate(String named, String discovered) {
        if (named != null && !named.isBlank()) {
            return of(named).map(Location::on).orElseGet(() -> Location.nowhere("unknown_server", unknown(named)));
        }
        if (!isFleet()) {
            return Location.on(fallback);
        }
        List<String> listing = new java.util.ArrayList<>();
        if (discovered != null) {
            for (String name : discovered.split(",")) {
                if (byName.containsKey(name.trim()) && !listing.contains(name.trim())) {
                    listing.add(name.trim());
                }
            }
        }
        if (listing.size() == 1) {
            return Location.on(byName.get(listing.get(0)));
        }
        if (listing.size() > 1) {
            return Location.nowhere("on_several_servers", "the instance is listed by several Evolution servers ("
                    + String.join(", ", listing) + "): delete it from all but one, or name its server in the row's"
                    + " evolution_server");
        }
        return new Location(fallback, true, null, null);
    }

    /** Why a row that names no server, and that the default server does not know, is on none of them. */
    public String onNoServer() {
        return "no Evolution server lists the instance (" + String.join(", ", byName.keySet()) + ", each listed after"
                + " it was last missing): create it on one of them, or set its row to close";
    }

    /** Why a row's evolution_server cannot be used: one line that names it and the servers there are. */
    public String unknown(String named) {
        return "evolution_server '" + io.qrrefresher.common.Failures.printable(named, 40)
                + "' is not a configured Evolution server (EVOLUTION_SERVERS: " + String.join(", ", byName.keySet())
                + "): correct the row, or add the server";
    }

    /**
     * The configured server a webhook's {@code server_url} names (its base URL, trailing slash and case of scheme and
     * host aside), when several are configured; empty with one server, or a URL none of them has (Evolution's
     * SERVER_URL may be a public name the service does not call).
     */
    public Optional<String> sentBy(String serverUrl) {
        if (!isFleet() || serverUrl == null || serverUrl.isBlank()) {
            return Optional.empty();
        }
        String url = serverUrl.trim().replaceAll("/+$", "");
        for (EvolutionServer server : byName.values()) {
            if (server.endpoint().equalsIgnoreCase(url)) {
                return Optional.of(server.name());
            }
        }
        return Optional.empty();
    }

    /** Several servers are configured (the server of a failure is then worth naming). */
    public boolean isFleet() {
        return byName.size() > 1;
    }
}
