package io.qrrefresher.events;

import java.util.Map;

import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/** UP while the service's own heartbeat NOTIFYs come back through its LISTEN connection. */
public final class ListenerHealthCheck extends AbstractHealthCheck {

    private final ListenerWatchdog watchdog;

    public ListenerHealthCheck(ListenerWatchdog watchdog) {
        super("qr-refresher", "qr-events-listener");
        this.watchdog = watchdog;
    }

    // polling goes on without LISTEN: neither readiness nor liveness, shown in /observe/health
    @Override
    public boolean isReadiness() {
        return false;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("last_heartbeat", String.valueOf(watchdog.lastHeartbeat()));
        builder.detail("rebuilds", watchdog.rebuilds());
        if (watchdog.isListening()) {
            builder.up();
        } else {
            builder.message("no heartbeat came back through LISTEN qr_code_updated").down();
        }
    }
}
