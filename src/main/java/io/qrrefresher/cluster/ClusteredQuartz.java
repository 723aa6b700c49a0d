package io.qrrefresher.cluster;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

import javax.sql.DataSource;

import org.apache.camel.CamelContext;
import org.apache.camel.component.quartz.QuartzComponent;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;

/**
 * The Quartz component {@value #COMPONENT}: its scheduler keeps triggers in PostgreSQL with Quartz's clustered JDBC
 * job store (tables {@code qr_refresher.qrtz_*}), so a route on it fires on exactly one of the replicas sharing the
 * database at each tick, and on another one when that replica is gone. The refresh itself stays on the plain
 * {@code quartz} component: every replica runs each cycle and they share its instances through leases.
 */
public final class ClusteredQuartz {

    public static final String COMPONENT = "quartz-cluster";

    private ClusteredQuartz() {
    }

    /** The properties Quartz uses when given none (org/quartz/quartz.properties in its jar). */
    private static Properties quartzDefaults() {
        Properties defaults = new Properties();
        try (InputStream in = StdSchedulerFactory.class.getResourceAsStream("/org/quartz/quartz.properties")) {
            defaults.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Quartz's default properties cannot be read", e);
        }
        return defaults;
    }

    public static void install(CamelContext context, DataSource dataSource) {
        // Quartz looks data sources up by name in a JVM-wide registry: one name per service (tests run several)
        String dataSourceName = "qr-refresher-" + UUID.randomUUID();
        DBConnectionManager.getInstance().addConnectionProvider(dataSourceName, new ConnectionProvider() {
            @Override
            public Connection getConnection() throws SQLException {
                return dataSource.getConnection();
            }

            @Override
            public void shutdown() {
                // the pool belongs to the service and is closed with it
            }

            @Override
            public void initialize() {
                // the pool is ready
            }
        });
        // the refresh's own scheduler (in memory, every replica fires it): Quartz's own defaults, with a thread pool
        // that stops at once (PromptShutdownThreadPool)
        Properties local = quartzDefaults();
        local.setProperty("org.quartz.threadPool.class", PromptShutdownThreadPool.class.getName());
        QuartzComponent localComponent = new QuartzComponent();
        localComponent.setProperties(local);
        context.addComponent("quartz", localComponent);
        QuartzComponent component = new QuartzComponent();
        // the instance name is suffixed with the Camel context's name (camel.main.name), the same on every replica:
        // that makes them one cluster
        component.setPrefixInstanceName(true);
        component.setProperties(Map.ofEntries(
                Map.entry("org.quartz.scheduler.instanceName", "qr-refresher-cluster"),
                Map.entry("org.quartz.scheduler.instanceId", "AUTO"),
                Map.entry("org.quartz.threadPool.class", PromptShutdownThreadPool.class.getName()),
                Map.entry("org.quartz.threadPool.threadCount", "2"),
                Map.entry("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX"),
                Map.entry("org.quartz.jobStore.driverDelegateClass",
                        "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate"),
                Map.entry("org.quartz.jobStore.dataSource", dataSourceName),
                Map.entry("org.quartz.jobStore.tablePrefix", "qr_refresher.qrtz_"),
                Map.entry("org.quartz.jobStore.isClustered", "true"),
                Map.entry("org.quartz.jobStore.clusterCheckinInterval", "10000"),
                Map.entry("org.quartz.jobStore.acquireTriggersWithinLock", "true")));
        context.addComponent(COMPONENT, component);
    }
}
