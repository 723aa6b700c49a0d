package io.qrrefresher.demo;

import java.io.IOException;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import javax.sql.DataSource;

import io.qrrefresher.demo.EvolutionSimulator.State;

/**
 * What the service runs with no configuration at all: two built-in Evolution API simulators (a fleet of two servers of
 * different versions) and four demo instances, so that the first command of the README shows the whole loop.
 * <ul>
 * <li>On the server {@code default} (Evolution 2.3.7, pushing webhooks):
 * <ul>
 * <li>{@code demo-storefront} is waiting for a scan: its QR rotates every 45 s.</li>
 * <li>{@code demo-support} gets scanned about 2.5 minutes after startup: the refresher marks it open.</li>
 * <li>{@code demo-sales} was abandoned (closed in Evolution) and the app asks for a QR again: the refresher sends
 * exactly one connect, then its QR rotates.</li>
 * </ul></li>
 * <li>On the server {@code preview} (Evolution 2.4.0-rc2, its row names it): {@code demo-onboarding}. The server stands
 * behind its licence gate for its first minute (every call answers 503 LICENSE_REQUIRED: the cause license_required,
 * no QR, no webhook); then it is activated and its QRs come, pushed by webhook.</li>
 * </ul>
 */
public final class DemoMode {

    public static final String ADMIN_TOKEN = "demo-admin-token";
    public static final String EVOLUTION_API_KEY = "demo-evolution-key";
    public static final String WEBHOOK_TOKEN = "demo-webhook-token";
    public static final String VIEWER_TOKEN_SECRET = "demo-viewer-token-secret-not-for-production";

    private record DemoInstance(String name, String token, State state, String server) {
    }

    /** A simulated Evolution server of the demo: its name, the version its GET / reports, its licence gate. */
    public record DemoServer(String name, String version, Duration licenceGate, String description) {
    }

    /** The server the rows that name none are on. */
    public static final String DEFAULT_SERVER = "default";
    public static final String PREVIEW_SERVER = "preview";

    public static final List<DemoServer> SERVERS = List.of(
            new DemoServer(DEFAULT_SERVER, "2.3.7", Duration.ZERO, "pushes every QR by webhook"),
            new DemoServer(PREVIEW_SERVER, "2.4.0-rc2", Duration.ofMinutes(1),
                    "behind its licence gate for its first minute (503 LICENSE_REQUIRED), then activated: its QRs come"
                            + " by webhook"));

    private static final List<DemoInstance> INSTANCES = List.of(
            new DemoInstance("demo-storefront", "demo-token-storefront", State.CONNECTING, DEFAULT_SERVER),
            new DemoInstance("demo-support", "demo-token-support", State.CONNECTING, DEFAULT_SERVER),
            new DemoInstance("demo-sales", "demo-token-sales", State.CLOSE, DEFAULT_SERVER),
            new DemoInstance("demo-onboarding", "demo-token-onboarding", State.CONNECTING, PREVIEW_SERVER));

    private DemoMode() {
    }

    /** The names of the demo instances. */
    public static List<String> instanceNames() {
        return INSTANCES.stream().map(DemoInstance::name).toList();
    }

    /** The names of the demo instances on one server. */
    public static List<String> instanceNamesOn(String server) {
        return INSTANCES.stream().filter(instance -> instance.server().equals(server)).map(DemoInstance::name)
                .toList();
    }

    /**
     * The simulators, by server name, each pushing its webhooks to {@code webhookUrl} as a global Evolution webhook
     * would: {@code default}, and {@code preview}, behind its licence gate for its first minute.
     */
    public static java.util.Map<String, EvolutionSimulator> startSimulators(URI webhookUrl) throws IOException {
        java.util.Map<String, EvolutionSimulator> simulators = new java.util.LinkedHashMap<>();
        try {
            for (DemoServer server : SERVERS) {
                EvolutionSimulator simulator = EvolutionSimulator.builder()
                        .globalApiKey(EVOLUTION_API_KEY)
                        .webhook(webhookUrl, Duration.ofSeconds(1))
                        .rotation(Duration.ofSeconds(45), Duration.ZERO)
                        .connectDelay(Duration.ofSeconds(2))
                        .start();
                simulators.put(server.name(), simulator);
                simulator.identity(server.version(), "evolution_" + server.name());
                if (!server.licenceGate().isZero()) {
                    simulator.licenceGateUntil(java.time.Instant.now().plus(server.licenceGate()));
                }
            }
        } catch (IOException e) {
            for (EvolutionSimulator started : simulators.values()) {
                started.close();
            }
            throw e;
        }
        for (DemoInstance instance : INSTANCES) {
            simulators.get(instance.server()).addInstance(instance.name(), instance.token(), instance.state());
        }
        simulators.get(DEFAULT_SERVER).pairAfter("demo-support", Duration.ofSeconds(150));
        return simulators;
    }

    /** (Re)creates the demo rows, all waiting for a QR, as the application would after {@code /instance/create}. */
    public static void seed(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            try (PreparedStatement delete = connection.prepareStatement(
                    "DELETE FROM evolution_instances WHERE instance_name = ANY (?)")) {
                delete.setArray(1, connection.createArrayOf("text",
                        INSTANCES.stream().map(DemoInstance::name).toArray()));
                delete.executeUpdate();
            }
            // rows of the default server name none (as before there were several servers); the other one's name it
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO evolution_instances (instance_name, instance_token, instance_status, evolution_server)"
                            + " VALUES (?, ?, 'connecting', ?)")) {
                for (DemoInstance instance : INSTANCES) {
                    insert.setString(1, instance.name());
                    insert.setString(2, instance.token());
                    insert.setString(3, instance.server().equals(DEFAULT_SERVER) ? null : instance.server());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
    }
}
