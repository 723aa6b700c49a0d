package io.qrrefresher.api;

import io.qrrefresher.common.JsonAnswer;
import java.util.Optional;

import io.qrrefresher.access.Secrets;

/**
 * {@code Authorization: Bearer <ADMIN_TOKEN>} on the admin endpoints. The comparison runs in constant time over
 * SHA-256 digests, so neither the content nor the length of the token leaks through timing. Without a token the
 * admin endpoints are closed.
 */
public final class AdminAccess {

    private final Optional<String> adminToken;

    public AdminAccess(Optional<String> adminToken) {
        this.adminToken = adminToken;
    }

    /**
     * Why a caller with this {@code Authorization} header is refused, or null when it holds the admin token. Constant
     * work whatever the header holds: the public edge asks it before any admin endpoint reads its body.
     */
    public Denial denial(String authorization) {
        if (adminToken.isEmpty()) {
            return new Denial(403, "admin endpoints are disabled: set ADMIN_TOKEN to enable them");
        }
        String token = Secrets.bearer(authorization);
        if (token == null || !Secrets.sameSecret(token, adminToken.get())) {
            return new Denial(401, token == null
                    ? "missing Authorization: Bearer <ADMIN_TOKEN> header" : "invalid admin token");
        }
        return null;
    }

    /** The answer to a refused caller: 401 (the route adds WWW-Authenticate: Bearer) or 403. */
    public JsonAnswer deny(Denial denial) {
        return JsonAnswer.error(denial.status(), denial.error(), denial.message());
    }

    /** A refusal: 401 (no or a wrong token) or 403 (no ADMIN_TOKEN configured), and why. */
    public record Denial(int status, String message) {
        public String error() {
            return status == 401 ? "unauthorized" : "forbidden";
        }
    }
}
