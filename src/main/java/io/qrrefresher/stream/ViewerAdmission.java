package io.qrrefresher.stream;

import java.time.Clock;
import java.time.Instant;
import java.util.Optional;

import io.qrrefresher.access.Secrets;
import io.qrrefresher.config.Settings;
import io.qrrefresher.stream.StreamAccess.Credential;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;

/**
 * The checks every request of a viewer (the live stream, "get a new code", "link with phone number") passes before
 * anything else is done for it, in this order: the page's origin, the failed attempts of its address, the credential.
 * A refused request is answered from its headers alone, costs the same whatever it names, and leaves nothing behind
 * but the count of failed attempts of its address ({@link AuthFailures}, bounded).
 */
final class ViewerAdmission {

    /** How one endpoint answers a refusal (each keeps its JSON shape and its metrics). */
    interface Refusal {
        void answer(HttpServerResponse response, int status, String error, String message);
    }

    /** Where a credential may be: the {@code Authorization} header only, or also {@code ?token=} (EventSource). */
    enum TokenFrom {
        HEADER(" as Authorization: Bearer (here ?token= is not read: it is the stream's alone)"),
        HEADER_OR_QUERY(" as Authorization: Bearer or ?token=");

        private final String hint;

        TokenFrom(String hint) {
            this.hint = hint;
        }
    }

    private final CrossOrigin crossOrigin;
    private final StreamAccess access;
    private final AuthFailures authFailures;
    private final Clock clock;

    ViewerAdmission(Settings.Widget widget, StreamAccess access, AuthFailures authFailures, Clock clock) {
        this.crossOrigin = new CrossOrigin(widget);
        this.access = access;
        this.authFailures = authFailures;
        this.clock = clock;
    }

    /** The CORS checks of this endpoint's pages (preflights). */
    CrossOrigin crossOrigin() {
        return crossOrigin;
    }

    /**
     * The caller's credential for the instance named in the path, or empty when the request was refused and answered.
     *
     * @param what how the logs name the request, such as "Live stream"
     */
    Optional<Credential> admit(RoutingContext routing, String what, TokenFrom tokenFrom, Refusal refusal) {
        HttpServerResponse response = routing.response();
        if (!crossOrigin.admit(routing.request(), response)) {
            refusal.answer(response, 403, "origin_not_allowed", "this page's origin is not in CORS_ALLOWED_ORIGINS"
                    + " (the service's setting that lists the sites whose pages may show the widget)");
            return Optional.empty();
        }
        Instant now = clock.instant();
        long retryAfter = authFailures.retryAfterSeconds(HttpReplies.address(routing), now);
        if (retryAfter > 0) {
            response.putHeader("Retry-After", String.valueOf(retryAfter));
            refusal.answer(response, 429, "too_many_attempts",
                    "too many failed authentications from this address; retry later");
            return Optional.empty();
        }
        Optional<Credential> credential = access.read(routing.pathParam("name"),
                Secrets.bearer(routing.request().getHeader("Authorization")),
                tokenFrom == TokenFrom.HEADER_OR_QUERY ? routing.queryParams().get("token") : null, now);
        if (credential.isEmpty()) {
            unauthorized(routing, what, tokenFrom, refusal);
        }
        return credential;
    }

    /**
     * A credential that was refused, here or once the row was read (it does not open that row): counted against the
     * address, answered 401.
     */
    void unauthorized(RoutingContext routing, String what, TokenFrom tokenFrom, Refusal refusal) {
        authFailures.refused(what, routing.pathParam("name"), HttpReplies.address(routing), clock.instant());
        routing.response().putHeader("WWW-Authenticate", "Bearer");
        refusal.answer(routing.response(), 401, "unauthorized",
                "show a viewer token or link for this instance (or the application's user JWT)" + tokenFrom.hint);
    }
}
