package io.qrrefresher.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Verifies a compact HS256 JWT: exactly three parts, header {@code alg} HS256, signature by the secret (constant
 * time), {@code exp}/{@code nbf} with a small clock skew. Anything else is not a JWT of ours.
 */
public final class Hs256Jwt {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CLOCK_SKEW_SECONDS = 60;
    private static final int MAX_LENGTH = 8192;

    private Hs256Jwt() {
    }

    /** Whether {@code token} looks like a compact JWT at all (three base64url parts), without verifying it. */
    public static boolean looksLikeJwt(String token) {
        if (token == null || token.length() > MAX_LENGTH) {
            return false;
        }
        int dots = 0;
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (c == '.') {
                dots++;
            } else if (!(Character.isLetterOrDigit(c) && c < 128) && c != '-' && c != '_') {
                return false;
            }
        }
        return dots == 2;
    }

    /**
     * The claims of a valid token signed with {@code secret}; empty when the token is malformed, signed otherwise,
     * expired or not yet valid. {@code requireExp}: a token without {@code exp} is refused (viewer credentials must
     * expire).
     */
    public static Optional<JsonNode> verify(String token, String secret, Instant now, boolean requireExp) {
        if (!looksLikeJwt(token)) {
            return Optional.empty();
        }
        String[] parts = token.split("\\.", -1);
        try {
            Base64.Decoder decoder = Base64.getUrlDecoder();
            JsonNode header = JSON.readTree(decoder.decode(parts[0]));
            if (header == null || !"HS256".equals(header.path("alg").asText())) {
                return Optional.empty();
            }
            byte[] expected = Secrets.hmacSha256(secret, parts[0] + "." + parts[1]);
            if (!MessageDigest.isEqual(expected, decoder.decode(parts[2]))) {
                return Optional.empty();
            }
            JsonNode claims = JSON.readTree(new String(decoder.decode(parts[1]), StandardCharsets.UTF_8));
            if (claims == null || !claims.isObject()) {
                return Optional.empty();
            }
            long seconds = now.getEpochSecond();
            if (requireExp && !claims.path("exp").canConvertToLong()) {
                return Optional.empty();
            }
            boolean expired = claims.has("exp") && claims.path("exp").asLong() + CLOCK_SKEW_SECONDS < seconds;
            boolean notYet = claims.has("nbf") && claims.path("nbf").asLong() - CLOCK_SKEW_SECONDS > seconds;
            return expired || notYet ? Optional.empty() : Optional.of(claims);
        } catch (IllegalArgumentException | IOException e) {
            return Optional.empty();
        }
    }
}
