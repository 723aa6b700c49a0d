package io.qrrefresher;

import java.time.Clock;
import java.time.Duration;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.qrrefresher.common.RouteFailures;
import io.qrrefresher.config.Settings;
import io.qrrefresher.db.Database;
import io.qrrefresher.ops.ApiHttpEngine;
import io.qrrefresher.ops.FleetGauges;
import io.qrrefresher.ops.QrMetrics;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;

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
