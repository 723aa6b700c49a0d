package io.qrrefresher.db;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.SQLExceptionOverride;
import io.qrrefresher.common.Failures;
import io.qrrefresher.config.DatabaseUrl;
import io.qrrefresher.config.Settings;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The service's PostgreSQL: the one at {@code DATABASE_URL}, or an embedded server whose data lives in
 * {@code EMBEDDED_POSTGRES_DATA_DIR} and survives restarts. Pooled by HikariCP, migrated by Flyway.
 */
public final class Database implements AutoCloseable {

    public static final String SCHEMA = "qr_refresher";
    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private final EmbeddedPostgres embedded;
    private final DatabaseUrl url;
    private final DatabaseUrl sessionUrl;
    private final boolean transactionPooled;
    private final HikariDataSource dataSource;

    private Database(EmbeddedPostgres embedded, DatabaseUrl url, DatabaseUrl sessionUrl, boolean transactionPooled,
                     int poolSize, int waitMs, String applicationName) {
        this.embedded = embedded;
        this.url = url;
        this.sessionUrl = sessionUrl;
        this.transactionPooled = transactionPooled;
        HikariConfig config = new HikariConfig();
        config.setPoolName("qr-refresher-db");
        config.setJdbcUrl(url.jdbcUrl());
        config.setUsername(url.user());
        config.setPassword(url.password());
        config.setMaximumPoolSize(poolSize);
        config.setMinimumIdle(Math.min(2, poolSize));
        config.setConnectionTimeout(waitMs);
        // HikariCP wants the validation shorter than the wait
        config.setValidationTimeout(Math.min(3_000, Math.max(250, waitMs - 250)));
        // who holds a session: a 'running' run of a replica without any session left was interrupted
        config.addDataSourceProperty("ApplicationName", applicationName);
        if (transactionPooled) {
            // a transaction pooler gives each transaction any server connection: no named prepared statements
            config.addDataSourceProperty("prepareThreshold", "0");
        }
        config.setExceptionOverride(new EvictAllWhenTheServerGoesAway());
        try {
            this.dataSource = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new IllegalStateException("cannot connect to the database " + url + ": " + Failures.describe(e), e);
        }
    }

    /**
     * When PostgreSQL shuts down or restarts, every pooled connection is dead, but each would only be found out by a
     * statement failing on it. The first such failure retires them all (connections in use as they come back), so
     * the statements after a restart run on fresh connections.
     */
    private final class EvictAllWhenTheServerGoesAway implements SQLExceptionOverride {

        private volatile long lastEviction;

        @java.lang.Override
        public SQLExceptionOverride.Override adjudicate(SQLException e) {
            String state = e.getSQLState();
            boolean serverGone = "57P01".equals(state) || "57P02".equals(state) || "08006".equals(state);
            long now = System.nanoTime();
            if (serverGone && dataSource != null && now - lastEviction > 1_000_000_000L) {
                lastEviction = now;
                LOG.warn("The database closed a connection ({}): replacing every pooled connection", state);
                dataSource.getHikariPoolMXBean().softEvictConnections();
            }
            return SQLExceptionOverride.Override.CONTINUE_EVICT;
        }
    }

    /**
     * Opens the configured database, or starts the embedded one.
     *
     * @param concurrency     instances refreshed at once; each may hold a connection while it writes
     * @param applicationName the replica's id, shown in pg_stat_activity
     */
    public static Database open(Settings.Database settings, int concurrency, String applicationName) {
        // one streaming select + the refresh workers + the alert, delivery and HTTP routes
        int poolSize = settings.poolSize() > 0 ? settings.poolSize() : concurrency + 6;
        if (settings.url().isPresent()) {
            DatabaseUrl url = settings.url().get();
            DatabaseUrl sessionUrl = settings.listenUrl().orElse(url);
            boolean pooled = requireSessions(url, sessionUrl, settings.listenUrl().isPresent());
            return new Database(null, url, sessionUrl, pooled, poolSize, settings.waitMs(), applicationName);
        }
        EmbeddedPostgres embedded = startEmbedded(settings.embeddedDataDir(), settings.embeddedPort());
        DatabaseUrl url = new DatabaseUrl(embedded.getJdbcUrl("postgres", "postgres"), "postgres", null);
        return new Database(embedded, url, url, false, poolSize, settings.waitMs(), applicationName);
    }

    /**
     * Checks that the session URL gives real sessions (LISTEN and migrations need one) and tells whether the pool's
     * URL is a transaction-mode pooler. Stops startup with one line naming the fix otherwise.
     */
    private static boolean requireSessions(DatabaseUrl url, DatabaseUrl sessionUrl, boolean separate) {
        String fix = "set DATABASE_LISTEN_URL to a direct or session-mode URL of the same database (Supabase: the"
                + " pooler's port 5432 instead of 6543, or the direct db.<project>.supabase.co:5432)";
        if (!separate && PoolerProbe.isSupabaseTransactionPooler(url)) {
            throw new IllegalStateException("DATABASE_URL is Supabase's transaction pooler (port 6543), where LISTEN,"
                    + " migrations and prepared statements cannot work: " + fix);
        }
        try {
            if (!PoolerProbe.keepsSessions(sessionUrl)
                    || !PoolerProbe.carriesNotifications(sessionUrl, Duration.ofSeconds(3))) {
                throw new IllegalStateException(separate
                        ? "DATABASE_LISTEN_URL " + sessionUrl.redacted() + " does not keep sessions (a"
                        + " transaction-mode pooler?): it must be a direct or session-mode URL"
                        : "DATABASE_URL " + url.redacted() + " does not keep sessions: it looks like a"
                        + " transaction-mode pooler (PgBouncer pool_mode=transaction); " + fix);
            }
            if (separate && !url.equals(sessionUrl)
                    && !PoolerProbe.carriesNotifications(sessionUrl, url, Duration.ofSeconds(3))) {
                // before anything is migrated: the schema would go to a database the pool never reads
                throw new IllegalStateException("DATABASE_LISTEN_URL " + sessionUrl.redacted() + " is not the same"
                        + " database as DATABASE_URL " + url.redacted() + " (a NOTIFY sent through DATABASE_URL did"
                        + " not reach a LISTEN on DATABASE_LISTEN_URL): point both at one database, the listen URL"
                        + " direct or in session mode");
            }
            if (separate && !url.equals(sessionUrl)) {
                // the only reason for a second URL is a pooler in front of the first: no prepared statements there
                LOG.info("DATABASE_LISTEN_URL is set: LISTEN and migrations use it; the pool on DATABASE_URL uses no"
                        + " prepared statements, as a transaction-mode pooler requires");
                return true;
            }
            return false;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to the database " + sessionUrl + ": "
                    + Failures.describe(e), e);
        }
    }

    private static EmbeddedPostgres startEmbedded(Path dataDir, int port) {
        try {
            Files.createDirectories(dataDir);
            LOG.info("Starting embedded PostgreSQL on port {} with its data in {}", port, dataDir.toAbsolutePath());
            // stopped by the service after Camel (close()), not by a JVM shutdown hook of its own: at SIGTERM
            // that hook ran beside Camel's shutdown, and Quartz's last statements met a database already gone
            return EmbeddedPostgres.builder()
                    .setDataDirectory(dataDir.toFile())
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .setRegisterShutdownHook(false)
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start embedded PostgreSQL in " + dataDir.toAbsolutePath()
                    + " on port " + port + ": " + e.getMessage(), e);
        }
    }

    /**
     * Migrations edited after release, only where the edit changes nothing for a database on which the old text
     * already ran: version, checksum of the old text, checksum of the new one. Version 1 creates its index on
     * instance_status only when none of the application's leads with it, under a name of its own; version 7 no longer
     * drops an index (it could drop a user's own); versions 1, 4 and 10 create instance_state, refresh_leases and
     * qr_limit_closes keyed by the application's id of its own type (a bigint id failed on their uuid foreign keys,
     * which version 14 drops where they were created). A database they already ran on is realigned, so Flyway's
     * validation passes; nothing is run again.
     */
    static final java.util.List<Object[]> KNOWN_EDITS = java.util.List.<Object[]>of(
            new Object[] {"1", 1849226481, -1433790430},
            new Object[] {"1", 2110514747, -1433790430},
            new Object[] {"4", -620340974, -1010554884},
            new Object[] {"7", 455568886, -1678366905},
            new Object[] {"10", -1748688340, 1538832858},
            // 18: commented only a column it added, and reads a column the application had as text
            new Object[] {"18", -2004692608, -1171617119});

    /**
     * Applies the migrations in {@code db/migration}; the history table lives in the refresher's schema. Before Flyway,
     * on one session: the role's rights are checked (a missing one stops the start with one line), known edits are
     * realigned, and on a first migration the application's table is noted, so that what the migrations add to it is
     * recorded for uninstall.sql.
     */
    public MigrateResult migrate() {
        java.util.Optional<java.util.Set<String>> columnsBefore;
        boolean first;
        try (java.sql.Connection db = PoolerProbe.connect(sessionUrl)) {
            java.util.Optional<String> missing = Privileges.missingForMigration(db);
            if (missing.isPresent()) {
                throw new io.qrrefresher.config.InvalidSettingException(
                        sessionUrl == url ? io.qrrefresher.config.Setting.DATABASE_URL
                                : io.qrrefresher.config.Setting.DATABASE_LISTEN_URL, missing.get());
            }
            first = !hasHistory(db);
            UsersTable table = UsersTable.read(db);
            java.util.Optional<String> unsupported = table.unsupported();
            if (unsupported.isPresent()) {
                throw new io.qrrefresher.config.InvalidSettingException(unsupported.get());
            }
            LOG.info("{}", table.describe(first));
            if (!first) {
                realignKnownEdits(db);
            }
            // a later migration may add a column too (evolution_server, version 18): noted the same way
            columnsBefore = java.util.Optional.of(userColumns(db));
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the migration history: " + Failures.describe(e), e);
        }
        // on a session of its own: Flyway takes an advisory lock and sets search_path for the session, which must
        // never land on a pooled connection
        MigrateResult result = Flyway.configure()
                .dataSource(sessionUrl.jdbcUrl() + (sessionUrl.jdbcUrl().contains("?") ? "&" : "?")
                        + "prepareThreshold=0", sessionUrl.user(), sessionUrl.password())
                .schemas(SCHEMA)
                .createSchemas(true)
                .table("schema_history")
                .locations("classpath:db/migration")
                .load()
                .migrate();
        if (first) {
            columnsBefore.ifPresent(this::recordInstall);
        } else if (result.migrationsExecuted > 0) {
            columnsBefore.ifPresent(this::recordAddedColumns);
        }
        LOG.info("Database schema {} at version {} ({} migrations applied)", SCHEMA,
                result.targetSchemaVersion == null ? "(unchanged)" : result.targetSchemaVersion,
                result.migrationsExecuted);
        return result;
    }

    /**
     * Checks, on the pool, that its role can do the service's work (it may not be the role that migrated): stops
     * the start with one line naming the missing rights and the GRANTs otherwise.
     */
    public void requireServiceRights() {
        try (java.sql.Connection db = dataSource.getConnection()) {
            java.util.Optional<String> missing = Privileges.missingForService(db);
            if (missing.isPresent()) {
                throw new io.qrrefresher.config.InvalidSettingException(
                        io.qrrefresher.config.Setting.DATABASE_URL, missing.get());
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the rights of the role of DATABASE_URL: "
                    + Failures.describe(e), e);
        }
    }

    private static boolean hasHistory(java.sql.Connection db) throws java.sql.SQLException {
        try (java.sql.Statement query = db.createStatement();
             java.sql.ResultSet history = query.executeQuery("SELECT to_regclass('" + SCHEMA + ".schema_history')"
                     + " IS NOT NULL")) {
            history.next();
            return history.getBoolean(1);
        }
    }

    /** The columns of public.evolution_instances (none when the table does not exist). */
    private static java.util.Set<String> userColumns(java.sql.Connection db) throws java.sql.SQLException {
        java.util.Set<String> columns = new java.util.TreeSet<>();
        try (java.sql.Statement query = db.createStatement();
             java.sql.ResultSet rows = query.executeQuery("SELECT attname FROM pg_attribute"
                     + " WHERE attrelid = to_regclass('public.evolution_instances') AND attnum > 0"
                     + " AND NOT attisdropped")) {
            while (rows.next()) {
                columns.add(rows.getString(1));
            }
        }
        return columns;
    }

    /**
     * Records in {@code install_record} what the first migration added outside the refresher's schema: the
     * application's table when it did not exist, else the columns it did not have. The record is complete once written.
     */
    private void recordInstall(java.util.Set<String> columnsBefore) {
        try (java.sql.Connection db = PoolerProbe.connect(sessionUrl);
             java.sql.PreparedStatement insert = db.prepareStatement("INSERT INTO " + SCHEMA + ".install_record"
                     + " (item, name) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
            java.util.Set<String> added = userColumns(db);
            added.removeAll(columnsBefore);
            db.setAutoCommit(false);
            if (columnsBefore.isEmpty()) {
                insert.setString(1, "table");
                insert.setString(2, "evolution_instances");
                insert.executeUpdate();
            } else {
                for (String column : added) {
                    insert.setString(1, "column");
                    insert.setString(2, column);
                    insert.executeUpdate();
                }
            }
            insert.setString(1, "complete");
            insert.setString(2, "first migration");
            insert.executeUpdate();
            db.commit();
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot record what the migration added: " + Failures.describe(e), e);
        }
    }

    /**
     * After a later migration: the columns it added to the application's table, recorded for uninstall.sql when the
     * record is complete (a database first migrated before the record existed keeps none: uninstall.sql then names
     * the columns the refresher may have added, and drops none of them).
     */
    private void recordAddedColumns(java.util.Set<String> columnsBefore) {
        try (java.sql.Connection db = PoolerProbe.connect(sessionUrl);
             java.sql.PreparedStatement complete = db.prepareStatement("SELECT 1 FROM " + SCHEMA + ".install_record"
                     + " WHERE item = 'complete'");
             java.sql.PreparedStatement insert = db.prepareStatement("INSERT INTO " + SCHEMA + ".install_record"
                     + " (item, name) VALUES ('column', ?) ON CONFLICT DO NOTHING")) {
            java.util.Set<String> added = userColumns(db);
            added.removeAll(columnsBefore);
            if (added.isEmpty() || columnsBefore.isEmpty()) {
                return;
            }
            try (java.sql.ResultSet row = complete.executeQuery()) {
                if (!row.next()) {
                    return;
                }
            }
            for (String column : added) {
                insert.setString(1, column);
                insert.executeUpdate();
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot record what the migration added: " + Failures.describe(e), e);
        }
    }

    private static void realignKnownEdits(java.sql.Connection db) throws java.sql.SQLException {
        for (Object[] edit : KNOWN_EDITS) {
            try (java.sql.PreparedStatement update = db.prepareStatement("UPDATE " + SCHEMA + ".schema_history"
                    + " SET checksum = ? WHERE version = ? AND checksum = ?")) {
                update.setInt(1, (Integer) edit[2]);
                update.setString(2, (String) edit[0]);
                update.setInt(3, (Integer) edit[1]);
                if (update.executeUpdate() > 0) {
                    LOG.info("Migration {} was edited after it ran here (an edit that changes nothing for"
                            + " this database): its checksum in {}.schema_history is realigned", edit[0], SCHEMA);
                }
            }
        }
    }

    public DataSource dataSource() {
        return dataSource;
    }

    public DatabaseUrl url() {
        return url;
    }

    /** Where LISTEN and migrations go: DATABASE_LISTEN_URL, or DATABASE_URL. */
    public DatabaseUrl sessionUrl() {
        return sessionUrl;
    }

    /** Whether DATABASE_URL is a transaction-mode pooler (then the pool uses no prepared statements). */
    public boolean isTransactionPooled() {
        return transactionPooled;
    }

    public boolean isEmbedded() {
        return embedded != null;
    }

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) {
            try {
                embedded.close();
            } catch (IOException e) {
                LOG.warn("Embedded PostgreSQL did not stop cleanly: {}", e.getMessage());
            }
        }
    }
}
