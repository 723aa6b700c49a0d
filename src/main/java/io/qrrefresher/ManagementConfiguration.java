package io.qrrefresher;

import java.time.Clock;
import java.time.Duration;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.qrrefresher.common.RouteFailures;
import io.qrrefresher.config.InvalidSettingException;
import io.qrrefresher.config.Setting;
import io.qrrefresher.config.Settings;
import io.qrrefresher.db.Database;
import io.qrrefresher.ops.ApiHttpEngine;
import io.qrrefresher.ops.FleetGauges;
import io.qrrefresher.ops.QrMetrics;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import io.qrrefresher.edge.ClientAddresses;
import io.qrrefresher.edge.EdgeGate;
import io.qrrefresher.edge.EdgeHttpServer;

/**
 * What operators use: the HTTP server the API runs on, the service's metrics (in the Prometheus registry that
 * {@link ServiceLifecycle} binds before Camel configures itself), and the log line of the error policy.
 */
public final class ManagementConfiguration implements CamelConfiguration {

    private final OpenResources resources;

    public ManagementConfiguration(OpenResources resources) {
        this.resources = resources;
    }

    /** platform-http's engine (camel.component.platform-http.engine), bound to HTTP_PORT. */
    @BindToRegistry("apiHttpEngine")
    public ApiHttpEngine apiHttpEngine(Settings settings) {
        return new ApiHttpEngine(settings.httpPort());
    }

    /**
     * The public HTTP server platform-http runs on (instead of camel.server's, which has no setting for the limits):
     * its edge gate and connection limits apply to every route and Vert.x handler on HTTP_PORT.
     */
    @Override
    public void configure(CamelContext context) throws Exception {
        Settings settings = context.getRegistry().findSingleByType(Settings.class);
        Settings.Edge edge = settings.edge();
        ClientAddresses addresses;
        try {
            addresses = new ClientAddresses(edge.trustedProxies());
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(Setting.TRUSTED_PROXIES, e.getMessage());
        }
        EdgeGate gate = new EdgeGate(addresses, settings.widget()::allowsOrigin);
        EdgeHttpServer server = new EdgeHttpServer(settings.httpPort(), EdgeHttpServer.MAX_BODY_BYTES, edge,
                addresses, gate);
        context.getRegistry().bind("edgeHttpServer", server);
        context.addService(server, true, true);
    }

    @BindToRegistry("qrMetrics")
    public QrMetrics qrMetrics(PrometheusMeterRegistry registry, Database database, Settings settings) {
        QrMetrics metrics = new QrMetrics(registry, Duration.ofMillis(settings.evolution().timeoutMs()));
        resources.add(new FleetGauges(database.dataSource())).register(metrics);
        return metrics;
    }

    /** Used by the error policy retry-on-next-trigger (routes/error-policy.yaml). */
    @BindToRegistry("routeFailures")
    public RouteFailures routeFailures() {
        return new RouteFailures(Clock.systemUTC());
    }
}
