package io.qrrefresher.events;

import org.apache.camel.Exchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the notifications of {@code qr_code_updated} for the route {@code listen-qr-events}. */
public final class QrEvents {

    public static final String PROPERTY = "qrEvent";
    private static final Logger LOG = LoggerFactory.getLogger(QrEvents.class);

    private final ListenerWatchdog watchdog;

    public QrEvents(ListenerWatchdog watchdog) {
        this.watchdog = watchdog;
    }

    public void read(Exchange exchange) {
        QrEvent event = QrEvent.parse(exchange.getMessage().getBody(String.class));
        exchange.setProperty(PROPERTY, event);
        if ("heartbeat".equals(event.getType())) {
            watchdog.heartbeat(event.heartbeatId());
        } else {
            LOG.debug("Notification {}", event);
        }
    }
}
