package io.qrrefresher.stream;

import java.time.Instant;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import io.qrrefresher.access.Hs256Jwt;
import io.qrrefresher.access.JwksKeys;
import io.qrrefresher.access.LinkTokens;
import io.qrrefresher.access.Secrets;
import io.qrrefresher.access.ViewerTokens;
import io.qrrefresher.config.Settings;

/**
 * Who may watch an instance's live QR. Checked in two steps so that a malformed or forged token never costs a
 * database query: {@link #read} verifies what can be verified alone (viewer token signature and expiry, JWT signature,
 * the admin token); {@link #allows} then matches what needs the row (the JWT's user against {@code user_id}, the
 * instance token when the compatibility switch allows it).
 * <ul>
 * <li>viewer token ({@code v2.…}, {@link ViewerTokens}) for this instance, this row and its owner: header or
 * {@code ?token=};</li>
 * <li>link token ({@code l1.…}, {@link LinkTokens}) of a link page of this instance, not revoked, made for this row and
 * its owner (its row in {@code qr_refresher.instance_links}, read with the instance's): header or {@code ?token=};</li>
 * <li>the application's user JWT (HS256 with {@code VIEWER_JWT_SECRET}, or RS256/ES256 with the keys of
 * {@code VIEWER_JWKS_URL}) whose claim equals the row's {@code user_id};</li>
 * <li>the admin token, only as {@code Authorization: Bearer} (never in a URL, where logs and proxies keep it);</li>
 * <li>the instance's {@code instance_token} (its Evolution API key) only with {@code QR_STREAM_ALLOW_INSTANCE_TOKEN}.</li>
 * </ul>
 */
public final class StreamAccess {

    public enum Kind { VIEWER_TOKEN, LINK, USER_JWT, ADMIN, INSTANCE_TOKEN }

    /**
     * A credential that passed the checks that need no row; {@code value} is the JWT subject, the instance token or a
     * link's id, {@code binding} the row a viewer token was minted for, {@code until} when it ends (a link's expiry:
     * its stream ends then), null when the stream's own maximum duration is the only bound.
     */
    public record Credential(Kind kind, String value, ViewerTokens.Binding binding, Instant until) {
        public Credential(Kind kind, String value) {
            this(kind, value, null, null);
        }

        public Credential(Kind kind, String value, ViewerTokens.Binding binding) {
            this(kind, value, binding, null);
        }

        /**
         * Whether this credential was signed for the instance's very name (a viewer or link token) or is the admin's:
         * telling its holder that no such row exists reveals nothing they could not know.
         */
        public boolean namesTheInstance() {
            return kind == Kind.ADMIN || kind == Kind.VIEWER_TOKEN || kind == Kind.LINK;
        }

        /** The link id of a link token, for the query that reads the row with its link; null for other kinds. */
        public String getLinkId() {
            return kind == Kind.LINK ? value : null;
        }

        @Override
        public String toString() {
            return kind.name().toLowerCase();
        }
    }

    private static final int MAX_TOKEN_LENGTH = 8192;

    private final ViewerTokens viewerTokens;
    private final LinkTokens linkTokens;
    private final Optional<String> adminToken;
    private final Optional<String> jwtSecret;
    private final Optional<JwksKeys> jwks;
    private final String jwtClaim;
    private final boolean allowInstanceToken;
    private final Settings.UserJwt userJwt;

    public StreamAccess(Settings.Stream settings, ViewerTokens viewerTokens, Optional<String> adminToken,
                        Optional<JwksKeys> jwks) {
        this(settings, Settings.UserJwt.ANY, viewerTokens, adminToken, jwks);
    }

    public StreamAccess(Settings.Stream settings, Settings.UserJwt userJwt, ViewerTokens viewerTokens,
                        Optional<String> adminToken, Optional<JwksKeys> jwks) {
        this(settings, userJwt, viewerTokens, new LinkTokens(Optional.empty()), adminToken, jwks);
    }

    public StreamAccess(Settings.Stream settings, Settings.UserJwt userJwt, ViewerTokens viewerTokens,
                        LinkTokens linkTokens, Optional<String> adminToken, Optional<JwksKeys> jwks) {
        this.linkTokens = linkTokens;
        this.userJwt = userJwt;
        this.viewerTokens = viewerTokens;
        this.jwks = jwks;
        this.adminToken = adminToken;
        this.jwtSecret = settings.viewerJwtSecret();
        this.jwtClaim = settings.viewerJwtClaim();
        this.allowInstanceToken = settings.allowInstanceToken();
    }

    /**
     * The credential shown for {@code instanceName}, when it can be one: {@code headerToken} from
     * {@code Authorization: Bearer}, {@code queryToken} from {@code ?token=}. Empty: refuse without a query.
     */
    public Optional<Credential> read(String instanceName, String headerToken, String queryToken, Instant now) {
        if (headerToken != null && adminToken.isPresent() && Secrets.sameSecret(headerToken, adminToken.get())) {
            return Optional.of(new Credential(Kind.ADMIN, null));
        }
        String token = headerToken != null ? headerToken : queryToken;
        if (token == null || token.isEmpty() || token.length() > MAX_TOKEN_LENGTH) {
            return Optional.empty();
        }
        if (LinkTokens.looksLikeLinkToken(token)) {
            // a link's stream ends when the link does (its expiry), not only when it is revoked
            LinkTokens.Check link = linkTokens.check(token, now);
            return link.isValid() && link.instanceName().equals(instanceName)
                    ? Optional.of(new Credential(Kind.LINK, link.linkId(), null, link.expiresAt())) : Optional.empty();
        }
        if (ViewerTokens.looksLikeViewerToken(token)) {
            return viewerTokens.verify(token, instanceName, now)
                    .map(binding -> new Credential(Kind.VIEWER_TOKEN, null, binding));
        }
        if (Hs256Jwt.looksLikeJwt(token) && (jwtSecret.isPresent() || jwks.isPresent())) {
            Optional<JsonNode> claims = jwtSecret.flatMap(secret -> Hs256Jwt.verify(token, secret, now, true))
                    .or(() -> jwks.flatMap(keys -> keys.verify(token, now)));
            return claims.filter(c -> acceptable(c, now)).map(c -> c.path(jwtClaim)).filter(JsonNode::isValueNode)
                    .map(JsonNode::asText)
                    .filter(subject -> !subject.isEmpty())
                    .map(subject -> new Credential(Kind.USER_JWT, subject));
        }
        if (allowInstanceToken && !(adminToken.isPresent() && Secrets.sameSecret(token, adminToken.get()))) {
            return Optional.of(new Credential(Kind.INSTANCE_TOKEN, token));
        }
        return Optional.empty();
    }

    /**
     * The claims beyond the signature: the audience ({@code aud}, a string or an array) and issuer when configured,
     * and a lifetime within VIEWER_JWT_MAX_LIFETIME (a token valid for years is a leaked credential for years).
     */
    boolean acceptable(JsonNode claims, Instant now) {
        if (userJwt.issuer().isPresent() && !userJwt.issuer().get().equals(claims.path("iss").asText(null))) {
            return false;
        }
        if (userJwt.audience().isPresent()) {
            JsonNode aud = claims.path("aud");
            boolean listed = aud.isTextual() ? aud.asText().equals(userJwt.audience().get())
                    : aud.isArray() && java.util.stream.StreamSupport.stream(aud.spliterator(), false)
                    .anyMatch(value -> value.isTextual() && value.asText().equals(userJwt.audience().get()));
            if (!listed) {
                return false;
            }
        }
        long max = userJwt.maxLifetime().toSeconds();
        long exp = claims.path("exp").asLong();
        if (exp - now.getEpochSecond() > max) {
            return false;
        }
        return !claims.path("iat").canConvertToLong() || exp - claims.path("iat").asLong() <= max;
    }

    /** Whether the credential opens the stream of {@code row} (null: no such instance). */
    public boolean allows(Credential credential, QrSnapshot row) {
        if (credential == null || row == null) {
            return false;
        }
        return switch (credential.kind()) {
            case ADMIN -> true;
            case VIEWER_TOKEN -> credential.binding() != null
                    && credential.binding().matches(row.getRowId(), row.getUserId());
            case LINK -> row.isLinkValid();
            case USER_JWT -> credential.value().equals(row.getUserId());
            case INSTANCE_TOKEN -> Secrets.sameSecret(credential.value(), row.getInstanceToken());
        };
    }
}
