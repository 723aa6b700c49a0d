package io.qrrefresher.access;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * Short-lived viewer tokens: what a browser shows to watch one instance's QR, instead of any Evolution key. A token is
 * bound to the row it was minted for, not only to its name: the row's {@code id} and the {@code user_id} that owned it.
 * <pre>
 *   v2.&lt;b64u(instance name)&gt;.&lt;b64u(id as text)&gt;.&lt;b64u(user_id as text, or "")&gt;.&lt;expiry, epoch seconds&gt;
 *      .&lt;b64u(HMAC-SHA256(secret, everything before this dot))&gt;          (b64u: base64url without padding)
 * </pre>
 * The signature is checked without the database ({@link #verify}); the binding is then matched against the row
 * ({@code StreamAccess}): a row deleted and created again (another id) or given to another user refuses the token, and
 * an open stream ends when either changes. Minted by {@code POST /instances/{name}/viewer-token} or by the
 * application's own backend with the same secret (docs/front-end.md, "Viewer tokens"). {@code v1.} tokens (bound to the name
 * only) are refused.
 */
public final class ViewerTokens {

    public static final String PREFIX = "v2.";
    private static final String OLD_PREFIX = "v1.";
    /** The longest lifetime a token may claim: a token from the future is forged or minted with a wrong clock. */
    public static final Duration MAX_LIFETIME = Duration.ofHours(24);
    private static final long CLOCK_SKEW_SECONDS = 60;

    /** The row a token was minted for: its {@code id} and owner ({@code user_id}, "" when null), as text. */
    public record Binding(String rowId, String owner) {
        public Binding {
            owner = owner == null ? "" : owner;
        }

        /** Whether this is the row {@code rowId} owned by {@code owner} (null: no owner). */
        public boolean matches(String rowId, String owner) {
            return this.rowId.equals(rowId) && this.owner.equals(owner == null ? "" : owner);
        }
    }

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

    /** Whether {@code token} is shaped like a viewer token (of this version or the refused older one). */
    public static boolean looksLikeViewerToken(String token) {
        return token != null && (token.startsWith(PREFIX) || token.startsWith(OLD_PREFIX)) && token.length() < 2048;
    }

    /** A token for the row {@code rowId} named {@code instanceName}, owned by {@code owner}, until {@code expiresAt}. */
    public String mint(String instanceName, String rowId, String owner, Instant expiresAt) {
        String payload = PREFIX + b64(instanceName) + "." + b64(rowId) + "." + b64(owner == null ? "" : owner) + "."
                + expiresAt.getEpochSecond();
        return payload + "." + Secrets.hmacBase64Url(secret.orElseThrow(), payload);
    }

    /** The row binding of {@code token} when it is a valid, unexpired token for exactly {@code instanceName}. */
    public Optional<Binding> verify(String token, String instanceName, Instant now) {
        if (secret.isEmpty() || token == null || !token.startsWith(PREFIX) || token.length() >= 2048) {
            return Optional.empty();
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 6) {
            return Optional.empty();
        }
        long expiry;
        try {
            expiry = Long.parseLong(parts[4]);
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
        long seconds = now.getEpochSecond();
        if (expiry + CLOCK_SKEW_SECONDS < seconds || expiry > seconds + MAX_LIFETIME.toSeconds() + CLOCK_SKEW_SECONDS) {
            return Optional.empty();
        }
        String payload = token.substring(0, token.lastIndexOf('.'));
        if (!Secrets.sameSecret(parts[5], Secrets.hmacBase64Url(secret.get(), payload))) {
            return Optional.empty();
        }
        try {
            if (!unb64(parts[1]).equals(instanceName)) {
                return Optional.empty();
            }
            return Optional.of(new Binding(unb64(parts[2]), unb64(parts[3])));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    private static String b64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String unb64(String part) {
        return new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8);
    }
}
