package io.qrrefresher.stream;

import java.net.URI;
import java.net.URISyntaxException;

import io.qrrefresher.config.Settings;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * Who may use the browser-facing endpoints (live stream, renew, pairing code) from a page of another site:
 * exactly the origins of CORS_ALLOWED_ORIGINS, none by default. A request without an Origin header (a server, curl)
 * or from the service's own origin needs no permission; any other origin is refused outright, so that a page that is
 * not listed gets nothing, not even a stream the browser would then hide from it. The refusal itself (403
 * {@code origin_not_allowed}, which holds no data) is readable by that page ({@code Access-Control-Allow-Origin: *}),
 * so that its widget says why it shows no code; the service logs the refused origins ({@link RefusedOrigins}).
 */
final class CrossOrigin {

    private enum Verdict {
        /** No Origin, or the service's own: no CORS headers needed. */
        SAME_ORIGIN,
        /** A listed origin: answer with its CORS headers. */
        ALLOWED,
        /** Another origin: refuse. */
        REFUSED
    }

    private final Settings.Widget settings;

    CrossOrigin(Settings.Widget settings) {
        this.settings = settings;
    }

    private Verdict judge(HttpServerRequest request) {
        String origin = request.getHeader("Origin");
        if (origin == null || isOwn(origin, request.getHeader("Host"))) {
            return Verdict.SAME_ORIGIN;
        }
        return settings.allowsOrigin(origin) ? Verdict.ALLOWED : Verdict.REFUSED;
    }

    /**
     * False for a page of an origin that is not listed (the caller refuses it); otherwise true, with the CORS
     * headers added for a listed origin.
     */
    boolean admit(HttpServerRequest request, HttpServerResponse response) {
        Verdict verdict = judge(request);
        if (verdict == Verdict.ALLOWED) {
            allow(request, response);
        } else if (verdict == Verdict.REFUSED) {
            refused(request, response);
        }
        return verdict != Verdict.REFUSED;
    }

    /** A page of an origin that is not listed: noted for the log, and allowed to read the refusal (it holds no data). */
    private static void refused(HttpServerRequest request, HttpServerResponse response) {
        RefusedOrigins.SHARED.refused(request.getHeader("Origin"), request.path());
        response.putHeader("Access-Control-Allow-Origin", "*");
    }

    /** The headers of an answer to a listed origin (no credentials mode: tokens travel in the request itself). */
    private void allow(HttpServerRequest request, HttpServerResponse response) {
        response.putHeader("Access-Control-Allow-Origin", request.getHeader("Origin"));
        response.putHeader("Vary", "Origin");
    }

    /** Answers a preflight (OPTIONS) for {@code methods}: 204 with the permission, or 403 for another origin. */
    void preflight(HttpServerRequest request, HttpServerResponse response, String methods) {
        if (judge(request) == Verdict.REFUSED || request.getHeader("Origin") == null) {
            if (request.getHeader("Origin") != null) {
                refused(request, response);
            }
            // the shape of every refusal: success, error, message
            java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
            body.put("success", false);
            body.put("error", "origin_not_allowed");
            body.put("message", request.getHeader("Origin") == null
                    ? "a preflight (OPTIONS) is a browser's, with the page's Origin header: none was sent"
                    : "this page's origin is not in CORS_ALLOWED_ORIGINS");
            HttpReplies.json(response, 403, body);
            return;
        }
        allow(request, response);
        response.putHeader("Access-Control-Allow-Methods", methods)
                .putHeader("Access-Control-Allow-Headers", "Authorization, Content-Type")
                .putHeader("Access-Control-Max-Age", "600")
                .setStatusCode(204).end();
    }

    /**
     * Whether {@code origin} names the host and port the request was sent to (behind a proxy: its Host), and that host
     * is an IP address or {@code localhost}. A domain name in both is not proof of anything: a DNS-rebinding page
     * (evil.example resolving to this service) sends {@code Origin: http://evil.example} with {@code Host:
     * evil.example}. A page on the service's own domain name is therefore listed in CORS_ALLOWED_ORIGINS like any other.
     */
    static boolean isOwn(String origin, String host) {
        if (host == null) {
            return false;
        }
        try {
            URI uri = new URI(origin);
            if (uri.getHost() == null || !isAddressLiteral(uri.getHost())) {
                return false;
            }
            int port = uri.getPort() != -1 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
            String authority = uri.getHost() + ":" + port;
            String requested = host.contains(":") && !host.endsWith("]") ? host
                    : host + ":" + ("https".equals(uri.getScheme()) ? 443 : 80);
            return authority.equalsIgnoreCase(requested);
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static boolean isAddressLiteral(String host) {
        return "localhost".equalsIgnoreCase(host) || host.startsWith("[") || host.matches("[0-9.]+");
    }
}
