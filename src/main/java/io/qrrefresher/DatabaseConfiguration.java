package io.qrrefresher;

import io.qrrefresher.cluster.ClusteredQuartz;
import io.qrrefresher.cluster.Replica;
import io.qrrefresher.config.Settings;
import io.qrrefresher.db.Database;
import io.qrrefresher.db.LegacyJobs;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/**
 * The database: the pool the routes' SQL uses ({@code dataSource}), migrated before any route starts, and Quartz's
 * clustered job store on it (one replica per tick of the failure check).
 */
public final class DatabaseConfiguration implements CamelConfiguration {

    private final OpenResources resources;

    public DatabaseConfiguration(OpenResources resources) {
        this.resources = resources;
    }

    @BindToRegistry("database")
    public Database database(Settings settings, Replica replica, CamelContext context) {
        Database database = resources.add(Database.open(settings.database(), settings.refresh().concurrency(),
                replica.getId()));
        database.migrate();
        database.requireServiceRights();
        LegacyJobs.warnIfActive(database.dataSource());
        ClusteredQuartz.install(context, database.dataSource());
        return database;
    }

    /** The pool the routes' sql: endpoints use (camel.component.sql.data-source). */
    /** Tells a database outage in a few lines; fed by the database probe, read by the error policy. */
    @BindToRegistry("databaseOutage")
    public io.qrrefresher.db.DatabaseOutage databaseOutage() {
        return new io.qrrefresher.db.DatabaseOutage();
    }

    @BindToRegistry("dataSource")
    public javax.sql.DataSource dataSource(Database database) {
        return database.dataSource();
    }
}
