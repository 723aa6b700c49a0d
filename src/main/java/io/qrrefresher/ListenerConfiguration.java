package io.qrrefresher;

import java.time.Clock;
import java.time.Duration;

import io.qrrefresher.cluster.Replica;
import io.qrrefresher.config.Settings;
import io.qrrefresher.db.Database;
import io.qrrefresher.events.ListenerConnections;
import io.qrrefresher.events.ListenerErrors;
import io.qrrefresher.events.ListenerWatchdog;
import io.qrrefresher.metrics.QrMetrics;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;

/**
 * PostgreSQL LISTEN/NOTIFY (route listen-qr-events): one connection shared by everything in the service, on a session
 * of its own (never a pooler's), proven alive by heartbeats and rebuilt by the watchdog when it is not.
 */
public final class ListenerConfiguration implements CamelConfiguration {

    private final OpenResources resources;

    public ListenerConfiguration(OpenResources resources) {
        this.resources = resources;
    }

    @BindToRegistry("listenerConnections")
    public ListenerConnections listenerConnections(Database database, Replica replica) {
        ListenerConnections connections = new ListenerConnections(database.sessionUrl(), replica.getId());
        resources.add(connections::closeAll);
        return connections;
    }

    @BindToRegistry("listenerWatchdog")
    public ListenerWatchdog listenerWatchdog(Settings settings, ListenerConnections connections, QrMetrics metrics,
                                             CamelContext context) {
        ListenerWatchdog watchdog = new ListenerWatchdog(context, connections,
                Duration.ofMillis(settings.events().heartbeatMillis()), metrics, Clock.systemUTC());
        metrics.gauge("qr_refresher.listener.up", "1 while the service's heartbeats come back through LISTEN", null,
                () -> watchdog.isListening() ? 1 : 0);
        return watchdog;
    }

    @BindToRegistry("listenerErrors")
    public ListenerErrors listenerErrors() {
        return new ListenerErrors();
    }
}
