package io.qrrefresher.access;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * The tokens of link pages ({@code GET /link/<token>}): what an operator sends the person who must link their
 * WhatsApp. A link token opens one instance's page and its live QR, for up to seven days, until it is revoked.
 * <pre>
 *   l1.&lt;b64u(instance name)&gt;.&lt;link id: 16 random bytes, b64u&gt;.&lt;expiry, epoch seconds&gt;
 *      .&lt;b64u(HMAC-SHA256(secret, everything before this dot))&gt;          (b64u: base64url without padding)
 * </pre>
 * The signature and the expiry are checked without the database ({@link #check}); the link's row
 * ({@code qr_refresher.instance_links}) then says whether it was revoked and which row of evolution_instances (its
 * {@code id} and owner) it was made for, as for viewer tokens. Signed with VIEWER_TOKEN_SECRET: the {@code l1.} prefix
 * is part of what is signed, so a link token is never a valid viewer token and the reverse.
 */
public final class LinkTokens {

    public static final String PREFIX = "l1.";
    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);
    public static final Duration MAX_LIFETIME = Duration.ofDays(7);
    public static final Duration MIN_LIFETIME = Duration.ofMinutes(1);
    private static final long CLOCK_SKEW_SECONDS = 60;
    private static final int MAX_LENGTH = 1024;
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What a token says once its signature holds. */
    public enum Verdict {
        /** Signed by this service and not expired: the link's row decides the rest. */
        VALID,
        /** Signed by this service, but its time is over: the page says so (410). */
        EXPIRED,
        /** Not a link of this service (cut, altered, forged, or signed with another secret). */
        INVALID
    }

    /** A token as checked without the database; {@code instanceName} and {@code linkId} only when signed. */
    public record Check(Verdict verdict, String instanceName, String linkId, Instant expiresAt) {
        static final Check INVALID = new Check(Verdict.INVALID, null, null, null);

        public boolean isValid() {
            return verdict == Verdict.VALID;
        }

    }

    /** A link just made: its id (the row's key) and its token. */
    public record Minted(String linkId, String token, Instant expiresAt) {
    }

    private final Optional<String> secret;

    public LinkTokens(Optional<String> secret) {
        this.secret = secret;
    }

    public boolean isEnabled() {
        return secret.isPresent();
    }

    /** Whether {@code token} is shaped like a link token (to tell it from other credentials; proves nothing). */
    public static boolean looksLikeLinkToken(String token) {
        return token != null && token.startsWith(PREFIX) && token.length() < MAX_LENGTH;
    }

    /** A new link for the instance {@code instanceName}, valid until {@code expiresAt}. */
    public Minted mint(String instanceName, Instant expiresAt) {
        byte[] id = new byte[16];
        RANDOM.nextBytes(id);
        String linkId = Base64.getUrlEncoder().withoutPadding().encodeToString(id);
        String payload = PREFIX + b64(instanceName) + "." + linkId + "." + expiresAt.getEpochSecond();
        return new Minted(linkId, payload + "." + Secrets.hmacBase64Url(secret.orElseThrow(), payload), expiresAt);
    }

    /** What {@code token} is, by its signature and expiry alone: constant work for whatever is not signed. */
    public Check check(String token, Instant now) {
        if (secret.isEmpty() || !looksLikeLinkToken(token)) {
            return Check.INVALID;
        }
        String[] parts = token.split("\\.", -1);
        if (parts.length != 5 || !parts[3].matches("[0-9]{1,12}") || !parts[2].matches("[A-Za-z0-9_-]{22}")) {
            return Check.INVALID;
        }
        String payload = token.substring(0, token.lastIndexOf('.'));
        if (!Secrets.sameSecret(parts[4], Secrets.hmacBase64Url(secret.get(), payload))) {
            return Check.INVALID;
        }
        String name;
        try {
            name = new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Check.INVALID;
        }
        long expiry = Long.parseLong(parts[3]);
        Instant expiresAt = Instant.ofEpochSecond(expiry);
        if (expiry > now.getEpochSecond() + MAX_LIFETIME.toSeconds() + CLOCK_SKEW_SECONDS) {
            return Check.INVALID;
        }
        // no leeway: the expiry was set by this service's clock, and the page, the stream and the link's row must
        // agree on the very second it ends
        if (!now.isBefore(expiresAt)) {
            return new Check(Verdict.EXPIRED, name, parts[2], expiresAt);
        }
        return new Check(Verdict.VALID, name, parts[2], expiresAt);
    }

    private static String b64(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
}
