package io.qrrefresher.common;

import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;

import org.apache.hc.core5.http.ConnectionRequestTimeoutException;

/** Turns exceptions into one short line that says what went wrong, without stack traces or secrets. */
public final class Failures {

    private Failures() {
    }

    /** The SQLState of the first SQLException in the chain, or null. */
    public static String sqlState(Throwable failure) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof SQLException sql && sql.getSQLState() != null) {
                return sql.getSQLState();
            }
        }
        return null;
    }

    /**
     * PostgreSQL refused the content it was given (SQLState class 22, data exception: a NUL byte in a text, a value
     * out of range; or 23, a constraint): the caller's input is bad, the database is fine. Such a failure is a 4xx.
     */
    public static boolean isContentRefused(Throwable failure) {
        String state = sqlState(failure);
        return state != null && (state.startsWith("22") || state.startsWith("23"));
    }

    public static String describe(Throwable error) {
        if (error == null) {
            return "unknown error";
        }
        Throwable cause = error;
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof SocketTimeoutException || t instanceof ConnectionRequestTimeoutException) {
                return "timed out (" + t.getMessage() + ")";
            }
            if (t instanceof ConnectException) {
                return "connection refused (" + t.getMessage() + ")";
            }
            if (t instanceof UnknownHostException) {
                return "unknown host " + t.getMessage();
            }
            if (t instanceof SQLException) {
                return "database error: " + oneLine(t.getMessage());
            }
            cause = t;
        }
        String message = cause.getMessage();
        if (message != null && cause.getClass().getName().startsWith("io.qrrefresher.")) {
            return oneLine(message);
        }
        return cause.getClass().getSimpleName() + (message == null ? "" : ": " + oneLine(message));
    }

    private static String oneLine(String text) {
        return printable(text, 300);
    }

    /**
     * Text that came from outside, fit for one log line: control characters (a newline could forge a log line)
     * become spaces, and it is cut at {@code max} characters.
     */
    public static String printable(String text, int max) {
        if (text == null) {
            return "";
        }
        String line = text.replaceAll("[\\p{Cntrl}]+", " ").trim();
        return line.length() > max ? line.substring(0, max) + "..." : line;
    }

    // SQLSTATE codes of a connection lost or refused besides class 08 (connection exception): the server shuts down,
    // or cannot accept connections yet
    private static final java.util.Set<String> CONNECTION_LOST_STATES = java.util.Set.of("57P01", "57P02", "57P03");

    /** Whether {@code failure} is a connection to PostgreSQL lost, refused or not obtained in time. */
    public static boolean isLostConnection(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof java.sql.SQLTransientConnectionException || t instanceof java.net.ConnectException) {
                return true;
            }
            if (t instanceof java.sql.SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || CONNECTION_LOST_STATES.contains(sql.getSQLState()))) {
                return true;
            }
            String message = t.getMessage();
            if (message != null && (message.contains("Connection is not available")
                    || message.contains("Interrupted during connection acquisition")
                    || message.contains("Failed to obtain DB connection")
                    || message.contains("This connection has been closed"))) {
                return true;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
