package io.qrrefresher.events;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

import javax.sql.DataSource;

import com.impossibl.postgres.api.jdbc.PGConnection;
import com.impossibl.postgres.api.jdbc.PGNotificationListener;

import com.impossibl.postgres.jdbc.PGDataSource;
import io.qrrefresher.config.DatabaseUrl;

/**
 * The pgjdbc-ng connections of the LISTEN consumer (camel-pgevent needs pgjdbc-ng), with the watchdog as the one owner
 * of reconnection.
 * <p>
 * camel-pgevent 4.17 reconnects from the connection's {@code closed()} callback, which pgjdbc-ng calls on its netty
 * I/O thread; the reconnect blocks that thread until a new connection is made, and the new connection needs that
 * thread: after a server restart it can deadlock (nothing is received any more), or succeed alongside another attempt
 * (every notification twice, a connection leaked). So the connections handed out here do not pass {@code closed()}
 * on to camel-pgevent: they tell the watchdog, which closes every connection handed out so far and listens again.
 */
public final class ListenerConnections implements DataSource {

    private final PGDataSource target = new PGDataSource();
    private final List<Connection> handedOut = new ArrayList<>();
    private volatile Connection latest;
    private volatile Runnable onLost = () -> { };

    /**
     * @param applicationName the replica's id: this long-lived session is what shows the replica alive in
     *                        pg_stat_activity, also when the pool's connections go through a transaction pooler
     */
    public ListenerConnections(DatabaseUrl url, String applicationName) {
        // jdbc:postgresql://host:port/database?params -> pgjdbc-ng's own settings
        URI uri = URI.create(url.jdbcUrl().substring("jdbc:".length()));
        target.setServerName(uri.getHost());
        target.setPortNumber(uri.getPort() > 0 ? uri.getPort() : 5432);
        target.setDatabaseName(uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1));
        target.setApplicationName(applicationName);
        // bounded waits: a LISTEN connection stuck in a handshake would hold the watchdog
        target.setNetworkTimeout(10_000);
        target.setLoginTimeout(5);
        if (url.user() != null) {
            target.setUser(url.user());
        }
        if (url.password() != null) {
            target.setPassword(url.password());
        }
        String query = uri.getRawQuery();
        if (query != null) {
            for (String parameter : query.split("&")) {
                String[] pair = parameter.split("=", 2);
                if (pair.length == 2 && pair[0].equalsIgnoreCase("sslmode")) {
                    target.setSslMode(pair[1]);
                }
                if (pair.length == 2 && pair[0].equalsIgnoreCase("user") && url.user() == null) {
                    target.setUser(pair[1]);
                }
            }
        }
    }

    /** Called (on a pgjdbc-ng I/O thread: it must not block) when the current LISTEN connection is lost. */
    public void onLost(Runnable onLost) {
        this.onLost = onLost;
    }

    @Override
    public Connection getConnection() throws SQLException {
        PGConnection connection = (PGConnection) target.getConnection();
        PGConnection watched = watched(connection);
        synchronized (handedOut) {
            handedOut.removeIf(ListenerConnections::isClosed);
            handedOut.add(watched);
        }
        latest = watched;
        return watched;
    }

    /** The connection, with its notification listeners' {@code closed()} turned into {@link #onLost}. */
    private PGConnection watched(PGConnection connection) {
        Map<PGNotificationListener, PGNotificationListener> wrappers = new ConcurrentHashMap<>();
        PGConnection[] self = new PGConnection[1];
        self[0] = (PGConnection) Proxy.newProxyInstance(PGConnection.class.getClassLoader(),
                new Class<?>[] {PGConnection.class}, (proxy, method, args) -> {
                    if (args != null && args.length > 0 && args[args.length - 1] instanceof PGNotificationListener listener
                            && method.getName().endsWith("NotificationListener")) {
                        Object[] changed = args.clone();
                        changed[args.length - 1] = method.getName().startsWith("add")
                                ? wrappers.computeIfAbsent(listener, key -> new PGNotificationListener() {
                                    @Override
                                    public void notification(int processId, String channel, String payload) {
                                        listener.notification(processId, channel, payload);
                                    }

                                    @Override
                                    public void closed() {
                                        if (latest == self[0]) {
                                            onLost.run();
                                        }
                                    }
                                })
                                : wrappers.getOrDefault(listener, listener);
                        args = changed;
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
        return self[0];
    }

    @Override
    public Connection getConnection(String username, String password) throws SQLException {
        throw new SQLFeatureNotSupportedException("the listener connects with the service's credentials");
    }

    /** Connections handed out and not closed yet. */
    public int open() {
        synchronized (handedOut) {
            handedOut.removeIf(ListenerConnections::isClosed);
            return handedOut.size();
        }
    }

    /** Closes every connection handed out so far. */
    public void closeAll() {
        List<Connection> connections;
        synchronized (handedOut) {
            connections = new ArrayList<>(handedOut);
            handedOut.clear();
        }
        for (Connection connection : connections) {
            try {
                connection.close();
            } catch (SQLException | RuntimeException e) {
                // already broken: nothing left to release
            }
        }
    }

    private static boolean isClosed(Connection connection) {
        try {
            return connection.isClosed();
        } catch (SQLException e) {
            return true;
        }
    }

    @Override
    public PrintWriter getLogWriter() {
        return null;
    }

    @Override
    public void setLogWriter(PrintWriter out) {
        // not used
    }

    @Override
    public void setLoginTimeout(int seconds) {
        target.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() {
        return target.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
        throw new SQLFeatureNotSupportedException();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
        throw new SQLException("not a wrapper");
    }

    @Override
    public boolean isWrapperFor(Class<?> type) {
        return false;
    }
}
