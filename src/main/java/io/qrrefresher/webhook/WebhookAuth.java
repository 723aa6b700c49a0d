package io.qrrefresher.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.api.JsonAnswers;
import org.apache.camel.Exchange;

/**
 * Authenticates Evolution API's webhooks with {@code EVOLUTION_WEBHOOK_TOKEN}, accepted three ways because global
 * webhooks cannot send custom headers (CONTRACT.md §3): in the URL ({@code ?token=<secret>}), as
 * {@code Authorization: Bearer <secret>} (a per-instance webhook's {@code headers}), or as the HS256 JWT Evolution
 * signs with that secret when the webhook's headers hold {@code jwt_key}. Comparisons run in constant time.
 */
public final class WebhookAuth {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long CLOCK_SKEW_SECONDS = 60;
    private static final String DENIAL = "webhookDenial";

    private final Optional<String> secret;
    private final Clock clock;

    public WebhookAuth(Optional<String> secret, Clock clock) {
        this.secret = secret;
        this.clock = clock;
    }

    public boolean isDenied(Exchange exchange) {
        String queryToken = exchange.getMessage().getHeader("token", String.class);
        String authorization = exchange.getMessage().getHeader("Authorization", String.class);
        if (secret.isEmpty()) {
            exchange.setProperty(DENIAL, 403);
            return true;
        }
        String bearer = authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)
                ? authorization.substring(7).trim() : null;
        boolean accepted = matches(queryToken) || matches(withoutEventSuffix(queryToken)) || matches(bearer)
                || isValidJwt(bearer);
        if (!accepted) {
            exchange.setProperty(DENIAL, 401);
        }
        return !accepted;
    }

    public void deny(Exchange exchange) {
        int status = exchange.getProperty(DENIAL, 401, Integer.class);
        JsonAnswers.answer(exchange, status, JsonAnswers.error(status == 403 ? "forbidden" : "unauthorized",
                status == 403 ? "webhooks are disabled: set EVOLUTION_WEBHOOK_TOKEN to enable them"
                        : "missing or invalid webhook token (?token=, Authorization: Bearer, or jwt_key)"));
    }

    /**
     * With {@code WEBHOOK_GLOBAL_WEBHOOK_BY_EVENTS=true} Evolution appends {@code /qrcode-updated} to the whole URL, so
     * {@code ?token=secret} arrives as {@code secret/qrcode-updated}.
     */
    private static String withoutEventSuffix(String token) {
        int slash = token == null ? -1 : token.indexOf('/');
        return slash < 0 ? null : token.substring(0, slash);
    }

    private boolean matches(String candidate) {
        return candidate != null && MessageDigest.isEqual(sha256(candidate), sha256(secret.get()));
    }

    /** Evolution's jwt_key mode: HS256, signed with the secret, not expired. */
    boolean isValidJwt(String token) {
        if (token == null) {
            return false;
        }
        String[] parts = token.split("\\.");
        if (parts.length != 3) {
            return false;
        }
        try {
            Base64.Decoder decoder = Base64.getUrlDecoder();
            JsonNode header = JSON.readTree(decoder.decode(parts[0]));
            if (!"HS256".equals(header.path("alg").asText())) {
                return false;
            }
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.get().getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] expected = mac.doFinal((parts[0] + "." + parts[1]).getBytes(StandardCharsets.US_ASCII));
            if (!MessageDigest.isEqual(expected, decoder.decode(parts[2]))) {
                return false;
            }
            JsonNode claims = JSON.readTree(decoder.decode(parts[1]));
            long now = clock.instant().getEpochSecond();
            boolean expired = claims.has("exp") && claims.path("exp").asLong() + CLOCK_SKEW_SECONDS < now;
            boolean notYet = claims.has("nbf") && claims.path("nbf").asLong() - CLOCK_SKEW_SECONDS > now;
            return !expired && !notYet;
        } catch (IllegalArgumentException | java.io.IOException | GeneralSecurityException e) {
            return false;
        }
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }
}
