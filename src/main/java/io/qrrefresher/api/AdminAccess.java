package io.qrrefresher.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

import org.apache.camel.Exchange;

/**
 * {@code Authorization: Bearer <ADMIN_TOKEN>} on the admin endpoints. The comparison runs in constant time over
 * SHA-256 digests, so neither the content nor the length of the token leaks through timing. Without a token the
 * admin endpoints are closed.
 */
public final class AdminAccess {

    private static final String DENIAL = "adminDenial";

    private final Optional<byte[]> expectedDigest;

    public AdminAccess(Optional<String> adminToken) {
        this.expectedDigest = adminToken.map(AdminAccess::sha256);
    }

    /** Checks the caller (a predicate: the route removes the header afterwards). */
    public boolean isDenied(Exchange exchange) {
        String authorization = exchange.getMessage().getHeader("Authorization", String.class);
        if (expectedDigest.isEmpty()) {
            exchange.setProperty(DENIAL, new Denial(403, "admin endpoints are disabled: set ADMIN_TOKEN to enable them"));
            return true;
        }
        String token = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
        if (token == null || !MessageDigest.isEqual(sha256(token), expectedDigest.get())) {
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

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    private record Denial(int status, String message) {
    }
}
