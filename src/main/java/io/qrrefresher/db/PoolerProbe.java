package io.qrrefresher.db;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;

import io.qrrefresher.config.DatabaseUrl;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Tells whether a URL gives sessions of their own. A transaction-mode pooler (PgBouncer {@code pool_mode=transaction},
 * Supabase's pooler on port 6543) hands each transaction to any server connection: LISTEN, session settings,
 * advisory locks and named prepared statements do not survive there. The probe is the property the service needs:
 * a LISTEN on one connection hears a NOTIFY sent from another. It leaves nothing behind (unnamed statements only,
 * the channel is unique and the connections are closed).
 */
public final class PoolerProbe {

    private PoolerProbe() {
    }

    /** Supabase's pooler in transaction mode: {@code *.pooler.supabase.com} on port 6543. */
    public static boolean isSupabaseTransactionPooler(DatabaseUrl url) {
        return url.host().toLowerCase(Locale.ROOT).endsWith(".pooler.supabase.com") && url.port() == 6543;
    }

    /**
     * Whether a connection keeps its server session between transactions, tested without leaving any state: while a
     * second client holds a transaction open, the first one's backend must not change, and the second must not have
     * been given the first one's backend. A transaction pooler hands out server connections per transaction (PgBouncer
     * reuses the most recently released one first), so one of the two happens there.
     *
     * @throws SQLException when the database cannot be reached at all
     */
    public static boolean keepsSessions(DatabaseUrl url) throws SQLException {
        try (Connection first = connect(url); Connection second = connect(url)) {
            int before = backend(first);
            second.setAutoCommit(false);
            try {
                int other = backend(second);
                int after = backend(first);
                return before == after && other != before;
            } finally {
                second.rollback();
            }
        }
    }

    private static int backend(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             java.sql.ResultSet pid = statement.executeQuery("SELECT pg_backend_pid()")) {
            pid.next();
            return pid.getInt(1);
        }
    }

    /**
     * Whether a notification sent on a second connection reaches a LISTEN made on a first one within {@code wait}.
     * Run it where {@link #keepsSessions} holds: the LISTEN ends with its session.
     *
     * @throws SQLException when the database cannot be reached at all
     */
    public static boolean carriesNotifications(DatabaseUrl url, Duration wait) throws SQLException {
        return carriesNotifications(url, url, wait);
    }

    /**
     * Whether a notification sent through {@code sendUrl} reaches a LISTEN made through {@code listenUrl} within
     * {@code wait}: notifications never cross databases, so this holds only when both URLs reach the same database
     * (directly or through a pooler), and needs no privilege.
     *
     * @throws SQLException when either cannot be reached at all
     */
    public static boolean carriesNotifications(DatabaseUrl listenUrl, DatabaseUrl sendUrl, Duration wait)
            throws SQLException {
        String channel = "qr_refresher_probe_" + UUID.randomUUID().toString().replace("-", "");
        try (Connection listener = connect(listenUrl); Connection sender = connect(sendUrl)) {
            try (Statement statement = listener.createStatement()) {
                statement.execute("LISTEN " + channel);
            }
            try (Statement statement = sender.createStatement()) {
                statement.execute("NOTIFY " + channel);
            }
            long deadline = System.nanoTime() + wait.toNanos();
            PGConnection pg = listener.unwrap(PGConnection.class);
            try {
                while (System.nanoTime() < deadline) {
                    PGNotification[] notifications = pg.getNotifications(200);
                    if (notifications != null) {
                        for (PGNotification notification : notifications) {
                            if (channel.equals(notification.getName())) {
                                return true;
                            }
                        }
                    }
                }
                return false;
            } finally {
                // a session of our own ends with its LISTEN anyway; this is for a pooler that shares sessions after all
                try (Statement statement = listener.createStatement()) {
                    statement.execute("UNLISTEN " + channel);
                }
            }
        }
    }

    /** A plain session on {@code url} (no pool, no named prepared statement). */
    static Connection connect(DatabaseUrl url) throws SQLException {
        Properties properties = new Properties();
        if (url.user() != null) {
            properties.setProperty("user", url.user());
        }
        if (url.password() != null) {
            properties.setProperty("password", url.password());
        }
        // no named prepared statement may be left on a pooler's server connection
        properties.setProperty("prepareThreshold", "0");
        properties.setProperty("ApplicationName", "qr-refresher-probe");
        properties.setProperty("connectTimeout", "5");
        return DriverManager.getConnection(url.jdbcUrl(), properties);
    }
}
