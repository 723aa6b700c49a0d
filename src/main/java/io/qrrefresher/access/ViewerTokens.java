package io.qrrefresher.access;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * Short-lived viewer tokens: what a browser shows to watch one instance's QR, instead of any Evolution key.
 * <pre>
 *   v1.&lt;base64url(instance name)&gt;.&lt;expiry, epoch seconds&gt;.&lt;base64url(HMAC-SHA256(secret, "v1." + name part + "." + expiry))&gt;
 * </pre>
 * Minted by {@code POST /instances/{name}/viewer-token} or by the application's own backend with the same secret
 * (README, "Viewer tokens"). A token is checked without touching the database.
 */
public final class ViewerTokens {

    public static final String PREFIX = "v1.";
    /** The longest lifetime a token may claim: a token from the future is forged or minted with a wrong clock. */
    public static final Duration MAX_LIFETIME = Duration.ofHours(24);
    private static final long CLOCK_SKEW_SECONDS = 60;

    private final Optional<String> secret;
    private final Duration defaultTtl;

    public ViewerTokens(Optional<String> secret, Duration defaultTtl) {
        this.secret = secret;
        this.defaultTtl = defaultTtl;
    }

    public boolean isEnabled() {
        return secret.isPresent();
    }

    public Duration defaultTtl() {
        return defaultTtl;
    }

    public static boolean looksLikeViewerToken(String token) {
        return token != null && token.startsWith(PREFIX) && token.length() < 2048;
    }

    /** A token for {@code instanceName} valid until {@code expiresAt}. */
    public String mint(String instanceName, Instant expiresAt) {
        String namePart = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(instanceName.getBytes(StandardCharsets.UTF_8));
        String payload = PREFIX + namePart + "." + expiresAt.getEpochSecond();
        return payload + "." + Secrets.hmacBase64Url(secret.orElseThrow(), payload);
    }

    /** Whether {@code token} is a valid, unexpired token for exactly {@code instanceName}. */
    public boolean allows(String token, String instanceName, Instant now) {
        if (secret.isEmpty() || !looksLikeViewerToken(token)) {
            return false;
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 4) {
            return false;
        }
        long expiry;
        try {
            expiry = Long.parseLong(parts[2]);
        } catch (NumberFormatException e) {
            return false;
        }
        long seconds = now.getEpochSecond();
        if (expiry + CLOCK_SKEW_SECONDS < seconds || expiry > seconds + MAX_LIFETIME.toSeconds() + CLOCK_SKEW_SECONDS) {
            return false;
        }
        String payload = parts[0] + "." + parts[1] + "." + parts[2];
        if (!Secrets.sameSecret(parts[3], Secrets.hmacBase64Url(secret.get(), payload))) {
            return false;
        }
        try {
            String name = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
            return name.equals(instanceName);
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
