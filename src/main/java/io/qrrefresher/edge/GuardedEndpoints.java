package io.qrrefresher.edge;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.apache.camel.CamelContext;
import org.apache.camel.model.Model;
import org.apache.camel.model.ProcessorDefinition;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.model.ToDefinition;
import org.apache.camel.model.rest.RestDefinition;
import org.apache.camel.model.rest.VerbDefinition;

/**
 * The endpoints of the {@code rest:} blocks whose route begins with a given guard route ({@code direct:require-admin}),
 * read from the routes as loaded (a verb's {@code direct:} route, or the route Camel inlined into the verb): an endpoint added tomorrow with the same first step is guarded at the edge without
 * being named anywhere else.
 */
public final class GuardedEndpoints {

    /**
     * One endpoint: its HTTP method (null: any) and its path as written in the {@code rest:} block or the
     * {@code platform-http:} URI; {@code prefix} when paths below it are served too ({@code matchOnUriPrefix}).
     */
    public record Endpoint(String method, String path, boolean prefix) {
    }

    private GuardedEndpoints() {
    }

    public static List<Endpoint> beginningWith(CamelContext context, String guardUri) {
        Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
        Set<String> guardedRoutes = new HashSet<>();
        for (RouteDefinition route : model.getRouteDefinitions()) {
            // the first step of its own (the error policy's onException, merged in, comes first and is abstract)
            ProcessorDefinition<?> first = route.getOutputs().stream().filter(step -> !step.isAbstract()
                    && !(step instanceof org.apache.camel.model.OnExceptionDefinition))
                    .findFirst().orElse(null);
            if (route.getInput() != null && first instanceof ToDefinition to && guardUri.equals(to.getUri())) {
                guardedRoutes.add(route.getInput().getUri());
            }
        }
        List<Endpoint> endpoints = new ArrayList<>();
        for (String uri : guardedRoutes) {
            // a rest: verb whose direct: route Camel inlined: rest://post:/instances/%7Bname%7D/status?...
            java.util.regex.Matcher rest = java.util.regex.Pattern.compile("^rest:(?://)?([a-z]+):([^?]*)").matcher(uri);
            if (rest.find()) {
                endpoints.add(new Endpoint(rest.group(1).toUpperCase(java.util.Locale.ROOT),
                        java.net.URLDecoder.decode(rest.group(2), java.nio.charset.StandardCharsets.UTF_8), false));
            }
            // a platform-http: consumer: platform-http:/webhooks/evolution?httpMethodRestrict=POST&matchOnUriPrefix=…
            java.util.regex.Matcher http = java.util.regex.Pattern.compile("^platform-http:(?://)?([^?]*)(\\?.*)?$")
                    .matcher(uri);
            if (http.find()) {
                String query = http.group(2) == null ? "" : http.group(2);
                java.util.regex.Matcher method = java.util.regex.Pattern.compile("[?&]httpMethodRestrict=([A-Za-z]+)")
                        .matcher(query);
                endpoints.add(new Endpoint(method.find() ? method.group(1).toUpperCase(java.util.Locale.ROOT) : null,
                        http.group(1), query.matches(".*[?&]matchOnUriPrefix=true.*")));
            }
        }
        for (RestDefinition rest : model.getRestDefinitions()) {
            String base = rest.getPath() == null ? "" : rest.getPath();
            for (VerbDefinition verb : rest.getVerbs()) {
                if (verb.getTo() != null && guardedRoutes.contains(verb.getTo().getUri())) {
                    endpoints.add(new Endpoint(verb.asVerb().toUpperCase(java.util.Locale.ROOT),
                            join(base, verb.getPath()), false));
                }
            }
        }
        return endpoints;
    }

    private static String join(String base, String path) {
        String tail = path == null ? "" : path;
        if (base.isEmpty()) {
            return tail.startsWith("/") ? tail : "/" + tail;
        }
        return (base.endsWith("/") ? base.substring(0, base.length() - 1) : base)
                + (tail.startsWith("/") ? tail : "/" + tail);
    }
}
