package io.qrrefresher;

import java.util.Map;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.common.RouteContract;
import io.qrrefresher.config.Settings;
import io.qrrefresher.evolution.EvolutionCircuitBreaker;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.EvolutionDiscovery;
import io.qrrefresher.evolution.EvolutionServerInfo;
import io.qrrefresher.evolution.EvolutionServers;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.metrics.QrMetrics;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.support.LifecycleStrategySupport;

/**
 * The Evolution API client of the route call-evolution-api: the request, the bounded reader of the answer, the check
 * of a QR's content, the decisions taken on each answer, and the registry in which Camel creates the circuit breaker
 * the route declares (its settings, {@code {{evolution.circuit.*}}}, in the units Camel takes).
 */
public final class EvolutionConfiguration implements CamelConfiguration {

    /** Camel's resilience4j finds this registry by type; its metrics and alerts follow the breaker created in it. */
    @BindToRegistry("evolutionCircuitBreakers")
    public CircuitBreakerRegistry circuitBreakers(Settings settings, AlertSignals alerts,
                                                  PrometheusMeterRegistry meterRegistry, CamelContext context) {
        settings.evolution().circuit().routeProperties()
                .forEach(context.getPropertiesComponent()::addOverrideProperty);
        CircuitBreakerRegistry breakers = EvolutionCircuitBreaker.registry(RouteContract.EVOLUTION_CIRCUIT_BREAKER,
                alerts);
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meterRegistry);
        return breakers;
    }

    /** The Evolution servers (EVOLUTION_SERVERS, or the one of EVOLUTION_API_BASE_URL; the simulator in demo mode). */
    @BindToRegistry("evolutionServers")
    public EvolutionServers evolutionServers(ServiceMode mode, CamelContext context) {
        EvolutionServers servers = new EvolutionServers(mode.servers());
        // the failure check counts a row that names no server with the default server's (routes read it as a key)
        context.getPropertiesComponent().addOverrideProperty(EvolutionServers.DEFAULT_SERVER_KEY,
                servers.of(null).orElseThrow().name());
        return servers;
    }

    /**
     * One route per Evolution server, from the route template {@code evolution-server} (routes/refresh-qr-codes.yaml):
     * {@code call-evolution-<name>}, with the server's URL and a circuit breaker of its own. Added once the routes
     * are loaded, before any of them starts.
     */
    @Override
    public void configure(CamelContext context) {
        context.addLifecycleStrategy(new LifecycleStrategySupport() {
            @Override
            public void onContextInitializing(CamelContext initializing) {
                EvolutionServers servers = initializing.getRegistry().lookupByNameAndType("evolutionServers",
                        EvolutionServers.class);
                if (servers == null) {
                    return;
                }
                for (Settings.EvolutionServer server : servers.all()) {
                    try {
                        // no node id prefix: the circuit breaker is named after its step id ({{breaker}}) exactly
                        initializing.addRouteFromTemplate(server.routeId(),
                                RouteContract.EVOLUTION_SERVER_TEMPLATE, "", Map.<String, Object>of(
                                        "server", server.name(), "baseUrl", server.endpoint(),
                                        "breaker", server.breakerName()));
                        initializing.addRouteFromTemplate("read-evolution-" + server.name(),
                                RouteContract.EVOLUTION_SERVER_INFO_TEMPLATE, "", Map.<String, Object>of(
                                        "server", server.name(), "baseUrl", server.endpoint()));
                        if (servers.isFleet()) {
                            initializing.addRouteFromTemplate("list-evolution-" + server.name(),
                                    RouteContract.EVOLUTION_SERVER_DISCOVERY_TEMPLATE, "", Map.<String, Object>of(
                                            "server", server.name(), "baseUrl", server.endpoint()));
                        }
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot create the routes of the Evolution server '"
                                + server.name() + "' from the templates " + RouteContract.EVOLUTION_SERVER_TEMPLATE
                                + ", " + RouteContract.EVOLUTION_SERVER_INFO_TEMPLATE + " and "
                                + RouteContract.EVOLUTION_SERVER_DISCOVERY_TEMPLATE + ": " + e.getMessage(), e);
                    }
                }
            }
        });
    }

    /** What each server says of itself (GET /), for GET /evolution-servers and its metric. */
    @BindToRegistry("evolutionServerInfo")
    public EvolutionServerInfo evolutionServerInfo(Settings settings, EvolutionServers servers,
                                                   CircuitBreakerRegistry breakers,
                                                   PrometheusMeterRegistry meterRegistry, CamelContext context) {
        EvolutionServerInfo info = new EvolutionServerInfo(servers, name -> servers.of(name)
                .map(server -> EvolutionCircuitBreaker.state(breakers, server.breakerName()).name())
                .orElse("CLOSED"), meterRegistry, java.time.Clock.systemUTC(), settings.evolution().infoInterval());
        info.listings(name -> context.getRegistry().lookupByNameAndType("evolutionDiscovery",
                EvolutionDiscovery.class).describe(name));
        return info;
    }

    /** Which server lists the instances of rows that name none (several servers; route evolution-server-discovery). */
    @BindToRegistry("evolutionDiscovery")
    public EvolutionDiscovery evolutionDiscovery(Settings settings, EvolutionServers servers, CamelContext context) {
        return new EvolutionDiscovery(servers, name -> serverInfo(context).reading(name),
                settings.evolution().discoveryInterval(), java.time.Clock.systemUTC());
    }

    /** The bean evolutionServerInfo, looked up when used (beans of one configuration class bind in no set order). */
    private static EvolutionServerInfo serverInfo(CamelContext context) {
        return context.getRegistry().lookupByNameAndType("evolutionServerInfo", EvolutionServerInfo.class);
    }

    /** Each server's concurrency budget (route template evolution-server). */
    @BindToRegistry("evolutionBudget")
    public io.qrrefresher.evolution.EvolutionBudget evolutionBudget(Settings settings, EvolutionServers servers,
                                                                    PrometheusMeterRegistry meterRegistry) {
        return new io.qrrefresher.evolution.EvolutionBudget(servers, settings.evolution().serverConcurrency(),
                settings.evolution().timeoutMs(), meterRegistry);
    }

    @BindToRegistry("evolutionClient")
    public EvolutionCall.Client evolutionClient(Settings settings, QrMetrics metrics, CamelContext context) {
        return new EvolutionCall.Client(settings.evolution().maxReplyBytes(), metrics, server -> {
            EvolutionServerInfo.Reading reading = serverInfo(context).reading(server);
            return reading != null && reading.licenceRequired();
        });
    }

    @BindToRegistry("qrContent")
    public QrContent qrContent(Settings settings) {
        return new QrContent();
    }
}
