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
 * What the service runs with no configuration at all: the built-in Evolution API simulator and three demo instances,
 * so that the first command of the README shows the whole loop.
 * <ul>
 * <li>{@code demo-storefront} is waiting for a scan: its QR rotates every 45 s.</li>
 * <li>{@code demo-support} gets scanned about 2.5 minutes after startup: the refresher marks it open.</li>
 * <li>{@code demo-sales} was abandoned (closed in Evolution) and the app asks for a QR again: the refresher sends
 * exactly one connect, then its QR rotates.</li>
 * </ul>
 */
public final class DemoMode {

    public static final String ADMIN_TOKEN = "demo-admin-token";
    public static final String EVOLUTION_API_KEY = "demo-evolution-key";
    public static final String WEBHOOK_TOKEN = "demo-webhook-token";
    public static final String VIEWER_TOKEN_SECRET = "demo-viewer-token-secret-not-for-production";

    private record DemoInstance(String name, String token, State state) {
    }

    private static final List<DemoInstance> INSTANCES = List.of(
            new DemoInstance("demo-storefront", "demo-token-storefront", State.CONNECTING),
            new DemoInstance("demo-support", "demo-token-support", State.CONNECTING),
            new DemoInstance("demo-sales", "demo-token-sales", State.CLOSE));

    private DemoMode() {
    }

    /** The names of the demo instances. */
    public static List<String> instanceNames() {
        return INSTANCES.stream().map(DemoInstance::name).toList();
    }

    /** The simulator, pushing its webhooks to {@code webhookUrl} as a global Evolution webhook would. */
    public static EvolutionSimulator startSimulator(URI webhookUrl) throws IOException {
        EvolutionSimulator simulator = EvolutionSimulator.builder()
                .globalApiKey(EVOLUTION_API_KEY)
                .webhook(webhookUrl, Duration.ofSeconds(1))
                .rotation(Duration.ofSeconds(45), Duration.ZERO)
                .connectDelay(Duration.ofSeconds(2))
                .start();
        for (DemoInstance instance : INSTANCES) {
            simulator.addInstance(instance.name(), instance.token(), instance.state());
        }
        simulator.pairAfter("demo-support", Duration.ofSeconds(150));
        return simulator;
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
            try (PreparedStatement insert = connection.prepareStatement(
                    "INSERT INTO evolution_instances (instance_name, instance_token, instance_status)"
                            + " VALUES (?, ?, 'connecting')")) {
                for (DemoInstance instance : INSTANCES) {
                    insert.setString(1, instance.name());
                    insert.setString(2, instance.token());
                    insert.addBatch();
                }
                insert.executeBatch();
            }
        }
    }
}
