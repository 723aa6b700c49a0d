package io.qrrefresher.db;

import java.util.List;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.filter.AbstractFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What Quartz's job store, HikariCP and pgjdbc-ng write when PostgreSQL goes away (an ERROR with a stack trace per
 * Quartz check-in, a WARN per broken pooled connection, the server's "terminating connection"), kept at DEBUG: the
 * service tells an outage itself ({@link DatabaseOutage}: when it starts, once a minute, when it ends). Anything else
 * these libraries write goes through as before.
 */
public final class LostConnectionLines extends AbstractFilter {

    static final List<String> LIBRARIES = List.of("org.quartz", "com.zaxxer.hikari", "com.impossibl.postgres");
    static final List<String> PHRASES = List.of("terminating connection", "marked as broken",
            "Failed to validate connection", "Connection refused", "Connection is not available",
            "Interrupted during connection acquisition", "Failed to obtain DB connection");
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseOutage.class);
    private static volatile Configuration installedIn;

    private LostConnectionLines() {
        super(Result.DENY, Result.NEUTRAL);
    }

    /**
     * Adds the filter to the root logger's configuration, whose appender writes every line (once per configuration:
     * again after a reconfiguration).
     */
    public static synchronized void install() {
        if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
            return;
        }
        Configuration configuration = context.getConfiguration();
        if (configuration == installedIn) {
            return;
        }
        configuration.getRootLogger().addFilter(new LostConnectionLines());
        context.updateLoggers();
        installedIn = configuration;
    }

    @Override
    public Result filter(LogEvent event) {
        // every line of the JVM passes here: the message is only formatted for the libraries' warnings
        if (!isLibraryWarning(event.getLoggerName(), event.getLevel())) {
            return Result.NEUTRAL;
        }
        return isLostConnectionLine(event.getLoggerName(), event.getLevel(),
                event.getMessage() == null ? null : event.getMessage().getFormattedMessage(), event.getThrown())
                ? demote(event) : Result.NEUTRAL;
    }

    private static boolean isLibraryWarning(String logger, Level level) {
        return logger != null && level.isMoreSpecificThan(Level.WARN) && LIBRARIES.stream().anyMatch(logger::startsWith);
    }

    /** A WARN or worse of one of the libraries, about a connection to PostgreSQL lost or refused. */
    static boolean isLostConnectionLine(String logger, Level level, String message, Throwable thrown) {
        if (!isLibraryWarning(logger, level)) {
            return false;
        }
        if (thrown != null && io.qrrefresher.common.Failures.isLostConnection(thrown)) {
            return true;
        }
        return message != null && PHRASES.stream().anyMatch(message::contains);
    }

    private static Result demote(LogEvent event) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("[{}] {}{}", event.getLoggerName().substring(event.getLoggerName().lastIndexOf('.') + 1),
                    event.getMessage().getFormattedMessage(), event.getThrown() == null ? ""
                            : ": " + event.getThrown());
        }
        return Result.DENY;
    }
}
