package io.qrrefresher.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads the notifications of {@code qr_code_updated} for the route {@code listen-qr-events}. */
public final class QrEvents {

    private static final Logger LOG = LoggerFactory.getLogger(QrEvents.class);

    private final ListenerWatchdog watchdog;

    public QrEvents(ListenerWatchdog watchdog) {
        this.watchdog = watchdog;
    }

    /** Parses a notification's payload; a heartbeat of this replica's watchdog is noted as heard. */
    public QrEvent read(String payload) {
        QrEvent event = QrEvent.parse(payload);
        if ("heartbeat".equals(event.getType())) {
            watchdog.heartbeat(event.heartbeatId());
        } else {
            LOG.debug("Notification {}", event);
        }
        return event;
    }
}
