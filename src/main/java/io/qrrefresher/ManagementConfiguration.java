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
import io.qrrefresher.metrics.QrMetrics;
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
        EdgeHttpServer server = new EdgeHttpServer(settings.httpPort(), EdgeHttpServer.MAX_BODY_BYTES, edge, gate,
                reserved(addresses, context));
        context.getRegistry().bind("edgeHttpServer", server);
        PrometheusMeterRegistry registry = context.getRegistry().findSingleByType(PrometheusMeterRegistry.class);
        if (registry != null) {
            io.micrometer.core.instrument.Gauge.builder("qr_refresher_http_connections_open", server,
                    s -> s.counts().open()).description("Connections open on HTTP_PORT").register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("qr_refresher_http_connections_refused", server,
                    s -> s.counts().refused()).description("Connections closed at once by HTTP_MAX_CONNECTIONS"
                    + " or HTTP_MAX_CONNECTIONS_PER_ADDRESS").register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("qr_refresher_http_header_timeouts", server,
                    s -> s.counts().headerTimeouts()).description("Connections closed for not sending their request"
                    + " headers within HTTP_HEADER_TIMEOUT_MS").register(registry);
            io.micrometer.core.instrument.FunctionCounter.builder("qr_refresher_http_body_timeouts", server,
                    s -> s.counts().bodyTimeouts()).description("Connections closed for not sending their request"
                    + " body within HTTP_HEADER_TIMEOUT_MS of its headers").register(registry);
        }
        context.addService(server, true, true);
        context.addStartupListener((started, alreadyStarted) -> guardEndpoints(started, gate));
    }

    /**
     * Every endpoint whose route begins with a guard route is refused at the edge, before its body is read, when its
     * credentials do not pass the same bean the guard route asks: {@code direct:require-admin} (ADMIN_TOKEN in
     * Authorization) and {@code direct:require-webhook-token} (the webhook token, or the shape of a per-instance one).
     */
    private static void guardEndpoints(CamelContext context, EdgeGate gate) {
        if (gate.guardedCount() > 0) {
            return;
        }
        io.qrrefresher.api.AdminAccess admin = context.getRegistry().lookupByNameAndType("adminAccess",
                io.qrrefresher.api.AdminAccess.class);
        io.qrrefresher.webhook.WebhookAuth webhooks = context.getRegistry().lookupByNameAndType("webhookAuth",
                io.qrrefresher.webhook.WebhookAuth.class);
        guard(context, gate, "direct:require-admin", admin, (authorization, query) -> {
            io.qrrefresher.api.AdminAccess.Denial denial = admin.denial(authorization);
            return denial == null ? null : new EdgeGate.Refusal(denial.status(), denial.error(), denial.message());
        });
        guard(context, gate, "direct:require-webhook-token", webhooks, (authorization, query) -> {
            Integer denial = webhooks.check(authorization, query).denial();
            return denial == null ? null : new EdgeGate.Refusal(denial, denial == 403 ? "forbidden" : "unauthorized",
                    io.qrrefresher.webhook.WebhookAuth.denialMessage(denial));
        });
    }

    private static void guard(CamelContext context, EdgeGate gate, String guardUri, Object bean,
                              EdgeGate.Guard guard) {
        java.util.List<io.qrrefresher.edge.GuardedEndpoints.Endpoint> endpoints =
                io.qrrefresher.edge.GuardedEndpoints.beginningWith(context, guardUri);
        if (bean == null || endpoints.isEmpty()) {
            throw new IllegalStateException("the endpoints behind " + guardUri + " cannot be guarded at the edge: "
                    + (bean == null ? "its bean is not bound" : "no HTTP endpoint's route begins with it"));
        }
        for (io.qrrefresher.edge.GuardedEndpoints.Endpoint endpoint : endpoints) {
            gate.guard(endpoint.method(), endpoint.path(), endpoint.prefix(), guard);
        }
        org.slf4j.LoggerFactory.getLogger(ManagementConfiguration.class).debug("{} endpoints guarded at the edge by"
                + " {}: {}", endpoints.size(), guardUri, endpoints);
    }

    /**
     * Who is never turned away by a connection cap: the trusted proxies and the addresses of every Evolution server
     * (its webhooks), so that genuine webhooks are served while the port is flooded from elsewhere.
     */
    private static java.util.function.Predicate<String> reserved(ClientAddresses proxies, CamelContext context) {
        java.util.Set<String> evolution = new java.util.HashSet<>();
        ServiceMode mode = context.getRegistry().findSingleByType(ServiceMode.class);
        for (io.qrrefresher.config.Settings.EvolutionServer server : mode == null ? java.util.List
                .<io.qrrefresher.config.Settings.EvolutionServer>of() : mode.servers()) {
            String host = server.baseUrl().getHost();
            try {
                for (java.net.InetAddress address : java.net.InetAddress.getAllByName(host)) {
                    evolution.add(address.getHostAddress());
                }
            } catch (java.net.UnknownHostException e) {
                org.slf4j.LoggerFactory.getLogger(ManagementConfiguration.class).warn("The host {} of the Evolution"
                        + " server '{}' does not resolve now: its webhooks get no reserved connections", host,
                        server.name());
            }
        }
        return address -> proxies.isTrusted(address) || evolution.contains(address);
    }

    @BindToRegistry("qrMetrics")
    public QrMetrics qrMetrics(PrometheusMeterRegistry registry, Database database, Settings settings,
                               org.apache.camel.CamelContext context) {
        QrMetrics metrics = new QrMetrics(registry, Duration.ofMillis(settings.evolution().timeoutMs()));
        // the servers are bound later (EvolutionConfiguration): looked up when the gauges are read
        java.util.function.Supplier<io.qrrefresher.evolution.EvolutionServers> servers = () -> context.getRegistry()
                .lookupByNameAndType("evolutionServers", io.qrrefresher.evolution.EvolutionServers.class);
        resources.add(new FleetGauges(database.dataSource(),
                () -> servers.get() == null ? java.util.List.of() : servers.get().all().stream()
                        .map(Settings.EvolutionServer::name).toList(),
                name -> servers.get() == null ? name : servers.get().of(name).map(Settings.EvolutionServer::name)
                        .orElse(name))).register(metrics);
        return metrics;
    }

    /** Used by the error policy retry-on-next-trigger (routes/error-policy.yaml). */
    @BindToRegistry("routeFailures")
    public RouteFailures routeFailures(CamelContext context, io.qrrefresher.db.DatabaseOutage outage) {
        return new RouteFailures(Clock.systemUTC(), routeId -> {
            org.apache.camel.Route route = context.getRoute(routeId);
            return route == null ? null : route.getDescription();
        }, outage);
    }
}
