package io.qrrefresher.edge;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * The first handler of every request on the public port, before any route (Camel's or the Vert.x handlers'), and the
 * last word on every answer. Once, for every endpoint, present and future:
 * <ul>
 * <li><b>Query parameters are data.</b> Only the names some endpoint reads ({@link #QUERY_PARAMETERS}) are accepted,
 * each once; anything else is a 400 that names it. So no query parameter can pose as a header (Camel copies query
 * parameters into message headers: {@code ?Authorization=…}), override a path variable ({@code ?name=…}), or reach a
 * response ({@code ?Set-Cookie=…}).</li>
 * <li><b>Instance names are names.</b> A path segment after {@code /instances/} that is {@code .}, {@code ..}, or
 * decodes to something holding {@code /} or {@code \} is a 400 before any route runs.</li>
 * <li><b>No inbound header reaches a response.</b> An answer carries only the headers of {@link #RESPONSE_HEADERS};
 * one whose value repeats a request header of the same name is dropped (an echo), and an
 * {@code Access-Control-Allow-Origin} only ever names an origin of CORS_ALLOWED_ORIGINS, or is {@code *} on what
 * holds no data: the widget's script and a 403 refusal.</li>
 * <li><b>Nothing is cached unless it says so</b>: an answer without Cache-Control gets {@code no-store}.</li>
 * <li><b>Every 4xx and 5xx is JSON</b> that says what was wrong, including the router's own (404, 405, 413).</li>
 * <li>The client's address (behind {@link ClientAddresses trusted proxies}) is computed once, for every throttle.</li>
 * <li><b>Guarded endpoints are refused here</b>, before their body is read: every endpoint whose route begins with a
 * guard route (the admin API's {@code direct:require-admin}, the webhooks' {@code direct:require-webhook-token}, found
 * by {@link GuardedEndpoints} in the routes) is answered 401/403 by the same check when its {@code Authorization}
 * header (or, for webhooks, {@code ?token=}) does not pass.</li>
 * </ul>
 */
public final class EdgeGate implements Handler<RoutingContext> {

    /** The routing context's key of the client address. */
    public static final String CLIENT_ADDRESS = "qr-refresher.client-address";

    /**
     * Every query parameter an endpoint reads: {@code token} (webhooks, live stream), {@code limit} (run history),
     * {@code all} (manual refresh), {@code since} (the wall), {@code ttl_seconds} (viewer tokens), {@code v} (the
     * widget script's cache key). A new endpoint that reads another one adds it here.
     */
    public static final Set<String> QUERY_PARAMETERS = Set.of("token", "limit", "all", "since", "ttl_seconds", "v");

    /** The only headers an answer may carry (lower case). */
    public static final Set<String> RESPONSE_HEADERS = Set.of("content-type", "content-length", "transfer-encoding",
            "connection", "keep-alive", "date", "cache-control", "etag", "vary", "retry-after", "www-authenticate",
            "allow", "x-accel-buffering", "content-security-policy", "referrer-policy", "x-content-type-options",
            "access-control-allow-origin", "access-control-allow-methods", "access-control-allow-headers",
            "access-control-max-age", "x-robots-tag");

    /** Response headers whose value may legitimately equal the request's (a JSON request answered with JSON). */
    private static final Set<String> MAY_EQUAL_REQUEST = Set.of("content-type", "content-length",
            "transfer-encoding", "connection", "keep-alive", "date", "vary");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String WIDGET_SCRIPT = "/widget/whatsapp-qr.js";

    private final ClientAddresses addresses;
    private final Predicate<String> allowedOrigin;
    private volatile List<Guarded> guarded = List.of();

    /** Checks a request's {@code Authorization} header and raw query: why it is refused, or null when it passes. */
    public interface Guard {
        Refusal refuse(String authorization, String rawQuery);
    }

    /** A refusal's status (401 or 403), error code and message. */
    public record Refusal(int status, String error, String message) {
    }

    private record Guarded(String method, java.util.regex.Pattern path, Guard guard) {
    }

    public EdgeGate(ClientAddresses addresses, Predicate<String> allowedOrigin) {
        this.addresses = addresses;
        this.allowedOrigin = allowedOrigin;
    }

    /**
     * Refuses, before anything else runs, every {@code method} (null: any) request to {@code pathTemplate}
     * ({@code {name}} for a path variable, as in a {@code rest:} block; with {@code prefix}, any path below it too)
     * whose {@code Authorization} header and query {@code guard} refuses.
     */
    public void guard(String method, String pathTemplate, boolean prefix, Guard guard) {
        StringBuilder regex = new StringBuilder("^");
        for (String part : pathTemplate.split("(?=\\{)|(?<=\\})")) {
            regex.append(part.startsWith("{") && part.endsWith("}") ? "[^/]+"
                    : java.util.regex.Pattern.quote(part));
        }
        regex.append(prefix ? "(/.*)?$" : "/?$");
        List<Guarded> next = new ArrayList<>(guarded);
        next.add(new Guarded(method == null ? null : method.toUpperCase(Locale.ROOT),
                java.util.regex.Pattern.compile(regex.toString()), guard));
        guarded = List.copyOf(next);
    }

    /** How many endpoints are guarded here. */
    public int guardedCount() {
        return guarded.size();
    }

    /**
     * First on {@code router}, with JSON answers for the router's own failures; {@code routes} holds the endpoints
     * (a 405 names the methods their paths take).
     */
    public void install(Router router, Router routes) {
        router.route().order(Integer.MIN_VALUE).handler(this);
        // a client that hangs up in the middle of its request (a phone losing its network while it sends a body): nothing
        // to answer, nobody to answer; not an ERROR with a stack trace in the log, which any caller could write at will
        router.route().order(Integer.MIN_VALUE).failureHandler(routing -> {
            if (routing.failure() instanceof io.vertx.core.http.HttpClosedException
                    || routing.response().closed()) {
                return;
            }
            routing.next();
        });
        answerFailuresInJson(router, routes);
    }

    /**
     * JSON answers for {@code router}'s own failures (404, 405 with the methods the path takes, 413…), whose endpoints
     * are on {@code routes}: the public port's, and the management port's (there the same router).
     */
    private static void answerFailuresInJson(Router router, Router routes) {
        for (int status : new int[] {400, 401, 403, 404, 405, 406, 408, 413, 414, 415, 429, 431, 500, 501, 503}) {
            router.errorHandler(status, routing -> {
                if (status == 405) {
                    // what Vert.x says by itself, lost once an error handler answers: the methods the path takes
                    String allow = allowedMethods(routes, routing.normalizedPath());
                    if (!allow.isEmpty()) {
                        routing.response().putHeader("Allow", allow);
                    }
                }
                answer(routing.response(), status, failureCode(status), failureMessage(status));
            });
        }
    }

    /**
     * For a router mounted below one this service does not hold (the management port's: Camel keeps its main router),
     * where its error handlers would not be called: a last route that answers what no other matched, in JSON, a 405
     * naming the methods the path takes, else a 404.
     */
    public static void answerUnmatchedInJson(Router routes) {
        routes.route().last().handler(routing -> {
            String allow = allowedMethods(routes, routing.normalizedPath());
            if (allow.isEmpty()) {
                answer(routing.response(), 404, failureCode(404), failureMessage(404));
            } else {
                routing.response().putHeader("Allow", allow);
                answer(routing.response(), 405, failureCode(405), failureMessage(405));
            }
        });
    }

    /**
     * The methods of the routes on {@code router} whose path ({@code :name} or {@code {name}} for a variable, a
     * trailing {@code *} for any path below) matches {@code path}, comma-separated in a stable order; "" if none.
     */
    static String allowedMethods(Router router, String path) {
        if (path == null) {
            return "";
        }
        java.util.TreeSet<String> methods = new java.util.TreeSet<>();
        for (io.vertx.ext.web.Route route : router.getRoutes()) {
            String template = route.getPath();
            if (template == null || route.methods() == null || route.methods().isEmpty()) {
                continue;
            }
            if (pathPattern(route.isExactPath() ? template : template + "*").matcher(path).matches()) {
                route.methods().forEach(method -> methods.add(method.name()));
            }
        }
        return String.join(", ", methods);
    }

    private static java.util.regex.Pattern pathPattern(String template) {
        boolean below = template.endsWith("*");
        String fixed = below ? template.replaceFirst("/?\\*+$", "") : template;
        StringBuilder regex = new StringBuilder("^");
        for (String segment : fixed.split("/", -1)) {
            if (regex.length() > 1) {
                regex.append('/');
            }
            regex.append(segment.startsWith(":") || (segment.startsWith("{") && segment.endsWith("}")) ? "[^/]+"
                    : java.util.regex.Pattern.quote(segment));
        }
        return java.util.regex.Pattern.compile(regex + (below ? "(/.*)?$" : "/?$"));
    }

    @Override
    public void handle(RoutingContext routing) {
        HttpServerRequest request = routing.request();
        HttpServerResponse response = routing.response();
        routing.addHeadersEndHandler(ignored -> filter(request, response));
        String peer = request.remoteAddress() == null ? null : request.remoteAddress().hostAddress();
        routing.put(CLIENT_ADDRESS, addresses.client(peer, request.headers().getAll("X-Forwarded-For"),
                request.headers().getAll("Forwarded")));
        // one request, one host (RFC 9112 §3.2): two Host headers are two readings of the same request
        String problem = request.headers().getAll("Host").size() > 1 ? "more than one Host header" : null;
        if (problem == null) {
            problem = queryProblem(request.query());
        }
        if (problem == null) {
            problem = pathProblem(request.path());
        }
        // the path as the router matches it ('//x', '/./x', '/%72x' all reach /x): the guards must see the same
        String routed = routing.normalizedPath() == null ? request.path()
                : routing.normalizedPath().replaceAll("/{2,}", "/");
        if (problem == null && routed != null) {
            problem = pathProblem(routed);
        }
        if (problem != null) {
            answer(response, 400, "bad_request", problem);
            return;
        }
        for (Guarded endpoint : guarded) {
            if ((endpoint.method() == null || endpoint.method().equals(request.method().name()))
                    && routed != null && endpoint.path().matcher(routed).matches()) {
                Refusal refusal = endpoint.guard().refuse(request.getHeader("Authorization"), request.query());
                if (refusal != null) {
                    if (refusal.status() == 401) {
                        response.putHeader("WWW-Authenticate", "Bearer");
                    }
                    discardBody(request);
                    answer(response, refusal.status(), refusal.error(), refusal.message());
                    return;
                }
                break;
            }
        }
        routing.next();
    }

    /**
     * Lets a refused request's body go by unread (no buffer, no parsing), so that the answer reaches a client still
     * sending; past the largest body any endpoint accepts, the connection is closed.
     */
    private static void discardBody(HttpServerRequest request) {
        if (request.isEnded()) {
            return;
        }
        long[] seen = {0};
        request.handler(buffer -> {
            seen[0] += buffer.length();
            if (seen[0] > EdgeHttpServer.MAX_BODY_BYTES) {
                request.connection().close();
            }
        });
        request.resume();
    }

    /** The client address of a request that passed the gate (the TCP peer otherwise). */
    public static String clientAddress(RoutingContext routing) {
        String address = routing.get(CLIENT_ADDRESS);
        if (address != null) {
            return address;
        }
        return routing.request().remoteAddress() == null ? "unknown" : routing.request().remoteAddress().hostAddress();
    }

    /** Why the query string is refused, or null. */
    static String queryProblem(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return null;
        }
        Set<String> seen = new TreeSet<>();
        // ';' too: the router's decoder (Netty's QueryStringDecoder) splits there as well, so '?a=1;Authorization=x'
        // would otherwise hand the routes a parameter this check never saw
        for (String pair : rawQuery.split("[&;]", -1)) {
            if (pair.isEmpty()) {
                continue;
            }
            int equals = pair.indexOf('=');
            String name;
            try {
                name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
                if (equals >= 0) {
                    URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8);
                }
            } catch (IllegalArgumentException e) {
                return "the query string is not URL-encoded";
            }
            if (!QUERY_PARAMETERS.contains(name)) {
                return "unknown query parameter '" + printable(name) + "' (query parameters are data, never headers"
                        + " or path variables; accepted: " + String.join(", ", new TreeSet<>(QUERY_PARAMETERS)) + ")";
            }
            if (!seen.add(name)) {
                return "query parameter '" + name + "' given more than once";
            }
        }
        return null;
    }

    /** Why the path is refused (an instance name that is a dot segment or holds a slash), or null. */
    static String pathProblem(String path) {
        if (path == null) {
            return null;
        }
        String[] segments = path.split("/", -1);
        for (int i = 0; i + 1 < segments.length; i++) {
            if (!"instances".equals(segments[i])) {
                continue;
            }
            String raw = segments[i + 1];
            String name;
            try {
                name = URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                return "the instance name is not URL-encoded";
            }
            if (name.equals(".") || name.equals("..") || name.indexOf('/') >= 0 || name.indexOf('\\') >= 0) {
                return "'" + printable(name) + "' is not an instance name (no '.', '..', '/' or '\\')";
            }
            if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
                return "'" + printable(name) + "' is not an instance name (no control characters)";
            }
        }
        return null;
    }

    private void filter(HttpServerRequest request, HttpServerResponse response) {
        MultiMap headers = response.headers();
        List<String> names = new ArrayList<>(headers.names());
        for (String name : names) {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!RESPONSE_HEADERS.contains(lower)) {
                headers.remove(name);
                continue;
            }
            List<String> values = headers.getAll(name);
            boolean echoed = !MAY_EQUAL_REQUEST.contains(lower)
                    && values.stream().anyMatch(value -> request.headers().getAll(name).contains(value));
            // '*' only on what holds no data: the widget's script, and a refusal (its 403 says why, readably)
            boolean foreignOrigin = lower.equals("access-control-allow-origin")
                    && values.stream().anyMatch(value -> !allowedOrigin.test(value) && !("*".equals(value)
                    && (response.getStatusCode() == 403 || WIDGET_SCRIPT.equals(request.path()))));
            if (echoed || foreignOrigin) {
                headers.remove(name);
            }
        }
        // answers hold credentials (viewer tokens, links) and data of the moment: no cache keeps what did not say it
        // may be kept (the widget's script does). Camel's HTTP binding drops a route's Cache-Control, so it is set here
        if (!headers.contains("Cache-Control")) {
            headers.set("Cache-Control", "no-store");
        }
    }

    static void answer(HttpServerResponse response, int status, String error, String message) {
        if (response.ended() || response.closed()) {
            return;
        }
        Map<String, Object> body = new LinkedHashMap<>();
        // the shape of every other error answer (JsonAnswers.error)
        body.put("success", false);
        body.put("error", error);
        body.put("message", message);
        try {
            response.setStatusCode(status).putHeader("Content-Type", "application/json")
                    .putHeader("Cache-Control", "no-store").end(JSON.writeValueAsString(body));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("plain data always serialises", e);
        }
    }

    private static String failureCode(int status) {
        return switch (status) {
            case 400 -> "bad_request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 413 -> "body_too_large";
            case 429 -> "too_many_requests";
            case 503 -> "unavailable";
            default -> status >= 500 ? "internal_error" : "bad_request";
        };
    }

    private static String failureMessage(int status) {
        return switch (status) {
            case 404 -> "no such endpoint (see docs/http-api.md)";
            case 405 -> "this endpoint does not answer that HTTP method";
            case 413 -> "the request body is larger than this endpoint accepts";
            case 414 -> "the URL is too long";
            case 431 -> "the request headers are too large";
            case 401 -> "missing or invalid credentials";
            case 403 -> "not allowed";
            default -> status >= 500 ? "the request could not be served; retry later" : "the request is malformed";
        };
    }

    private static String printable(String text) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < text.length() && out.length() < 64; i++) {
            char c = text.charAt(i);
            out.append(c < 0x20 || c == 0x7f || c == '\'' || c == '"' || c == '<' || c == '>' ? '?' : c);
        }
        return out.toString();
    }
}
