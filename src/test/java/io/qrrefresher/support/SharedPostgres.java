package io.qrrefresher.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.qrrefresher.config.Settings;
import io.qrrefresher.db.Database;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * One real PostgreSQL server for the whole test suite (surefire runs every class in one JVM); each test class gets a
 * fresh database on it.
 */
public final class SharedPostgres {

    private static final AtomicInteger DATABASES = new AtomicInteger();
    private static EmbeddedPostgres server;

    private SharedPostgres() {
    }

    public static synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                // logical decoding on, as on Supabase (Realtime reads the WAL through a pgoutput slot)
                server = EmbeddedPostgres.builder().setServerConfig("wal_level", "logical").start();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // the JVM is going away
                }
            }));
        }
        return server;
    }

    /** Creates an empty database and returns its JDBC URL (user postgres, no password). */
    public static String newDatabase() {
        String name = "test_" + DATABASES.incrementAndGet();
        try (Connection connection = server().getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return server().getJdbcUrl("postgres", name);
    }

    private static String migratedTemplate;

    /**
     * A database the service's migrations already ran on (as on a second start), and returns its JDBC URL: a copy of a
     * template migrated once per suite, so that each service under test does not migrate its own. The first start's
     * path (the table created, each migration applied) is tested on {@link #newDatabase} (MigrationTest,
     * TableVariantsTest, StartupTest).
     */
    public static synchronized String migratedDatabase() {
        if (migratedTemplate == null) {
            String name = "migrated_template";
            try (Connection connection = server().getPostgresDatabase().getConnection();
                 Statement statement = connection.createStatement()) {
                statement.execute("CREATE DATABASE " + name);
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
            try (Database database = open(server().getJdbcUrl("postgres", name), "postgres", "template")) {
                database.migrate();
            }
            migratedTemplate = name;
        }
        String name = "test_" + DATABASES.incrementAndGet();
        try (Connection connection = server().getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name + " TEMPLATE " + migratedTemplate);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return server().getJdbcUrl("postgres", name);
    }

    /** The service's database on a fresh database, not migrated yet, as user postgres. */
    public static Database freshDatabase(String applicationName) {
        return open(newDatabase(), "postgres", applicationName);
    }

    /** The service's database on {@code url} (from {@link #newDatabase}) as {@code user}, not migrated yet. */
    public static Database open(String url, String user, String applicationName) {
        Settings settings = Settings.load(Map.of("database.url", url.replace("user=postgres", "user=" + user),
                "database.user", user, "evolution.api.base-url", "http://127.0.0.1:1")::get);
        return Database.open(settings.database(), 2, applicationName);
    }
}
