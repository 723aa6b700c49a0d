package io.qrrefresher.ops;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import io.qrrefresher.access.Secrets;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * In front of Camel's Basic authentication of /observe/jolokia: a request without the right credentials is answered 401
 * and its connection closed. Camel's handler answered 401 without reading the body of a request that waits for
 * {@code 100 Continue}, and the client's retry on the same connection was then read as that body ({@code HTTP/1.0 400}):
 * Jolokia's Java client and Apache HttpClient without pre-emptive auth failed every POST. Closing tells them to retry
 * on a new connection, as HTTP/1.1 allows.
 */
public final class JolokiaGuard {

    private final String expected;

    public JolokiaGuard(String user, String password) {
        this.expected = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    /** Adds the guard before every other handler of the management server's Jolokia path. */
    public void install(CamelContext camelContext, int managementPort) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camelContext,
                VertxPlatformHttpRouter.getRouterNameFromPort(managementPort));
        router.route("/observe/jolokia/*").order(-1000).handler(this::check);
        router.route("/observe/jolokia").order(-1000).handler(this::check);
    }

    private void check(RoutingContext routing) {
        String authorization = routing.request().getHeader("Authorization");
        if (authorization != null && Secrets.sameSecret(authorization.trim(), expected)) {
            routing.next();
            return;
        }
        var request = routing.request();
        var response = routing.response().setStatusCode(401)
                .putHeader("WWW-Authenticate", "Basic realm=\"jolokia\"");
        // an HTTP/1 request whose body is not read leaves the connection out of step: close it (HTTP/2 streams
        // are independent, and a GOAWAY would fail the client's other requests)
        boolean unreadBody = request.getHeader("Expect") != null || request.getHeader("Transfer-Encoding") != null
                || !"0".equals(request.getHeader("Content-Length") == null ? "0" : request.getHeader("Content-Length"));
        if (request.version() != io.vertx.core.http.HttpVersion.HTTP_2 && unreadBody) {
            response.putHeader("Connection", "close").end().onComplete(done -> request.connection().close());
        } else {
            response.end();
        }
    }
}
