package io.qrrefresher.events;

import org.apache.camel.Exchange;
import org.apache.camel.spi.ExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * camel-pgevent's own reconnect attempts fail every few seconds while PostgreSQL is down and would log a stack trace
 * each time. The watchdog owns recovery, so these are one WARN line a minute, the rest at DEBUG.
 */
public final class ListenerErrors implements ExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(ListenerErrors.class);
    private volatile long lastWarning;

    @Override
    public void handleException(Throwable exception) {
        handleException(null, null, exception);
    }

    @Override
    public void handleException(String message, Throwable exception) {
        handleException(message, null, exception);
    }

    @Override
    public void handleException(String message, Exchange exchange, Throwable exception) {
        String line = message != null ? message : String.valueOf(exception);
        long now = System.currentTimeMillis();
        if (now - lastWarning > 60_000) {
            lastWarning = now;
            LOG.warn("LISTEN connection: {}", line);
        } else {
            LOG.debug("LISTEN connection: {}", line);
        }
    }
}
