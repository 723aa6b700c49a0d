package io.qrrefresher.api;

import io.qrrefresher.common.JsonAnswers;
import java.util.Optional;

import io.qrrefresher.access.Secrets;
import org.apache.camel.Exchange;

/**
 * {@code Authorization: Bearer <ADMIN_TOKEN>} on the admin endpoints. The comparison runs in constant time over
 * SHA-256 digests, so neither the content nor the length of the token leaks through timing. Without a token the
 * admin endpoints are closed.
 */
public final class AdminAccess {

    private static final String DENIAL = "adminDenial";

    private final Optional<String> adminToken;

    public AdminAccess(Optional<String> adminToken) {
        this.adminToken = adminToken;
    }

    /** Checks the caller (a predicate: the route removes the header afterwards). */
    public boolean isDenied(Exchange exchange) {
        String authorization = exchange.getMessage().getHeader("Authorization", String.class);
        if (adminToken.isEmpty()) {
            exchange.setProperty(DENIAL, new Denial(403, "admin endpoints are disabled: set ADMIN_TOKEN to enable them"));
            return true;
        }
        String token = Secrets.bearer(authorization);
        if (token == null || !Secrets.sameSecret(token, adminToken.get())) {
            exchange.setProperty(DENIAL, new Denial(401, token == null
                    ? "missing Authorization: Bearer <ADMIN_TOKEN> header" : "invalid admin token"));
            return true;
        }
        return false;
    }

    /** Answers the request that {@link #isDenied} refused. */
    public void deny(Exchange exchange) {
        Denial denial = exchange.getProperty(DENIAL, Denial.class);
        JsonAnswers.answer(exchange, denial.status(), JsonAnswers.error(denial.status() == 401
                ? "unauthorized" : "forbidden", denial.message()));
        if (denial.status() == 401) {
            exchange.getMessage().setHeader("WWW-Authenticate", "Bearer");
        }
    }

    private record Denial(int status, String message) {
    }
}
