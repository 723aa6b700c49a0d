package io.qrrefresher.events;

import java.io.PrintWriter;
import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Logger;

import javax.sql.DataSource;

import com.impossibl.postgres.jdbc.PGDataSource;
import io.qrrefresher.config.DatabaseUrl;

/**
 * The pgjdbc-ng connections of the LISTEN consumer (camel-pgevent needs pgjdbc-ng). It remembers every connection it
 * hands out, so that the watchdog can close them all before listening again: camel-pgevent 4.17 can leave a second
 * LISTEN connection behind after a server restart, and leaks one when its route is restarted.
 */
public final class ListenerConnections implements DataSource {

    private final PGDataSource target = new PGDataSource();
    private final List<Connection> handedOut = new ArrayList<>();

    public ListenerConnections(DatabaseUrl url) {
        // jdbc:postgresql://host:port/database?params -> pgjdbc-ng's own settings
        URI uri = URI.create(url.jdbcUrl().substring("jdbc:".length()));
        target.setServerName(uri.getHost());
        target.setPortNumber(uri.getPort() > 0 ? uri.getPort() : 5432);
        target.setDatabaseName(uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1));
        target.setApplicationName("qr-refresher-listener");
        target.setNetworkTimeout(10_000);
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

    @Override
    public Connection getConnection() throws SQLException {
        Connection connection = target.getConnection();
        synchronized (handedOut) {
            handedOut.removeIf(ListenerConnections::isClosed);
            handedOut.add(connection);
        }
        return connection;
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
