package io.qrrefresher.common;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.camel.CamelContext;
import org.apache.camel.model.Model;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.SendDefinition;

/**
 * The names the Java beans share with {@code routes/*.yaml}, declared once. At startup {@link #check} verifies that the
 * routes define each of them, and that every {@code direct:}/{@code seda:} endpoint a route sends to has a route that
 * consumes it: a route renamed in YAML stops the start with a message naming what is missing, instead of failing
 * later, at run time.
 */
public final class RouteContract {

    /** Route ids Java controls. */
    public static final String REFRESH_SCHEDULE_ROUTE = "refresh-qr-codes";
    public static final String QR_EVENTS_LISTENER_ROUTE = "listen-qr-events";

    /** Endpoints Java sends to; each must be the {@code from} of a route. */
    public static final String CLAIM_REFRESH_BATCH = "direct:claim-refresh-batch";
    public static final String MARK_INTERRUPTED_RUNS = "direct:mark-interrupted-runs";
    public static final String ALERT_SIGNALS = "seda:alert-signals";
    public static final String RESYNC_AFTER_LISTENER_GAP = "seda:resync-after-listener-gap";
    public static final String SUBSCRIBE_QR_STREAM = "direct:subscribe-qr-stream";
    public static final String RENEW_QR = "direct:renew-qr";
    public static final String REQUEST_PAIRING_CODE = "direct:request-pairing-code";

    /**
     * The name of the default server's circuit breaker, and the prefix of the others' ({@code evolution-api-<server>}):
     * resilience4j names each after the circuitBreaker step of the server's route (template evolution-server).
     */
    public static final String EVOLUTION_CIRCUIT_BREAKER = "evolution-api";
    /** The route template each Evolution server's route is made from. */
    public static final String EVOLUTION_SERVER_TEMPLATE = "evolution-server";

    private static final Map<String, String> ROUTES = Map.of(
            REFRESH_SCHEDULE_ROUTE, "the refresh control pauses, resumes and reschedules it",
            QR_EVENTS_LISTENER_ROUTE, "the listener watchdog restarts it");
    private static final Map<String, String> ENDPOINTS = Map.of(
            CLAIM_REFRESH_BATCH, "each run claims its instances through it",
            MARK_INTERRUPTED_RUNS, "called once the service has started",
            ALERT_SIGNALS, "the circuit breaker and 401 answers raise alerts through it",
            RESYNC_AFTER_LISTENER_GAP, "the listener watchdog catches up through it",
            SUBSCRIBE_QR_STREAM, "the live QR stream authorises each client through it",
            RENEW_QR, "'get a new code' (POST /instances/{name}/qr/renew) goes through it",
            REQUEST_PAIRING_CODE, "'link with phone number' (POST /instances/{name}/qr/pairing-code) goes through it");
    /** The route template each Evolution server's GET / reader is made from. */
    public static final String EVOLUTION_SERVER_INFO_TEMPLATE = "evolution-server-info";
    /** The route template each Evolution server's list of instances is read by (several servers). */
    public static final String EVOLUTION_SERVER_DISCOVERY_TEMPLATE = "evolution-server-discovery";

    private static final Map<String, String> TEMPLATES = Map.of(
            EVOLUTION_SERVER_TEMPLATE, "each Evolution server's route is made from it: its circuit breaker, its URL",
            EVOLUTION_SERVER_INFO_TEMPLATE, "each Evolution server's GET / is read by a route made from it",
            EVOLUTION_SERVER_DISCOVERY_TEMPLATE, "with several servers, each one's list of instances is read by a"
                    + " route made from it");

    private RouteContract() {
    }

    /** Throws, naming everything missing, when the loaded routes do not define what Java needs. */
    public static void check(CamelContext context) {
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        List<String> problems = problems(model.getRouteDefinitions(), model.getRouteTemplateDefinitions().stream()
                .map(template -> template.getId()).toList());
        if (!problems.isEmpty()) {
            throw new IllegalStateException("routes/*.yaml do not match what the service needs: "
                    + String.join("; ", problems));
        }
    }

    static List<String> problems(List<RouteDefinition> routes, List<String> templates) {
        Set<String> ids = new LinkedHashSet<>();
        Set<String> consumed = new LinkedHashSet<>();
        Set<String> stepIds = new LinkedHashSet<>();
        Map<String, String> sentTo = new LinkedHashMap<>();
        List<String> withoutPolicy = new ArrayList<>();
        for (RouteDefinition route : routes) {
            ids.add(route.getRouteId());
            // rest: routes get theirs from the rest configuration's route template; every route of ours names one
            if (route.getRouteConfigurationId() == null && !Boolean.TRUE.equals(route.isRest())) {
                withoutPolicy.add(route.getRouteId());
            }
            consumed.add(withoutOptions(route.getInput().getEndpointUri()));
            walk(route.getOutputs(), route.getRouteId(), stepIds, sentTo);
        }
        List<String> problems = new ArrayList<>();
        withoutPolicy.forEach(id -> problems.add("route '" + id + "' names no routeConfigurationId (error-policy.yaml)"));
        missing(ROUTES, ids, "no route with id", problems);
        missing(ENDPOINTS, consumed, "no route consumes", problems);
        missing(TEMPLATES, new LinkedHashSet<>(templates), "no route template", problems);
        sentTo.forEach((uri, route) -> {
            if (!consumed.contains(uri)) {
                problems.add("route '" + route + "' sends to '" + uri + "', which no route consumes");
            }
        });
        return problems;
    }

    private static void missing(Map<String, String> required, Set<String> present, String problem,
                                List<String> problems) {
        required.forEach((name, why) -> {
            if (!present.contains(name)) {
                problems.add(problem + " '" + name + "' (" + why + ")");
            }
        });
    }

    private static void walk(List<ProcessorDefinition<?>> steps, String routeId, Set<String> stepIds,
                             Map<String, String> sentTo) {
        for (ProcessorDefinition<?> step : steps) {
            if (step.getId() != null) {
                stepIds.add(step.getId());
            }
            if (step instanceof SendDefinition<?> send && send.getEndpointUri() != null) {
                String uri = withoutOptions(send.getEndpointUri());
                if (uri.startsWith("direct:") || uri.startsWith("seda:")) {
                    sentTo.putIfAbsent(uri, routeId);
                }
            }
            walk(step.getOutputs(), routeId, stepIds, sentTo);
        }
    }

    /**
     * Why Camel's bean binding could call something else than {@code type.method} (empty when it cannot): no public
     * method of that name, several (Camel picks one by the message), or a getter beside a method named after its
     * property ({@code getRepeats} and {@code repeats(Exchange)}), which Camel may take instead depending on the order
     * the JVM lists methods in.
     */
    public static List<String> bindingProblems(Class<?> type, String method) {
        String where = type.getSimpleName() + "." + method;
        long named = Arrays.stream(type.getMethods()).filter(candidate -> candidate.getName().equals(method))
                .count();
        if (named == 0) {
            return List.of(where + ": no public method of that name");
        }
        if (named > 1) {
            return List.of(where + ": " + named + " public methods of that name (Camel chooses among them by the"
                    + " message)");
        }
        Matcher getter = Pattern.compile("(?:get|is)([A-Z]\\w*)").matcher(method);
        if (getter.matches()) {
            String property = Character.toLowerCase(getter.group(1).charAt(0)) + getter.group(1).substring(1);
            if (Arrays.stream(type.getMethods()).anyMatch(candidate -> candidate.getName().equals(property))) {
                return List.of(where + ": Camel may bind " + property + "() instead (a method named after the getter's"
                        + " property)");
            }
        }
        return List.of();
    }

    private static String withoutOptions(String uri) {
        int query = uri.indexOf('?');
        return (query < 0 ? uri : uri.substring(0, query)).replace("://", ":");
    }
}
