package io.qrrefresher.webhook;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import io.qrrefresher.access.Hs256Jwt;
import io.qrrefresher.access.Secrets;
import io.qrrefresher.common.JsonAnswer;
import io.qrrefresher.common.UrlQuery;

/**
 * Authenticates Evolution API's webhooks. Two kinds of secret:
 * <ul>
 * <li>{@code EVOLUTION_WEBHOOK_TOKEN} itself, for Evolution's <em>global</em> webhook (tenants cannot read it):
 * valid for events of every instance;</li>
 * <li>a per-instance token derived from it, {@code hex(HMAC-SHA256(EVOLUTION_WEBHOOK_TOKEN, "evolution-webhook:" +
 * instance))} ({@code GET /instances/{name}/webhook-token}), for per-instance webhook settings that the instance's
 * owner can read: valid only for events of that instance, so reading one's own settings forges nothing for others.</li>
 * </ul>
 * Either is accepted three ways, because global webhooks cannot send custom headers (Evolution API v2, as recorded in src/test/resources/evolution): in the URL
 * ({@code ?token=<secret>}), as {@code Authorization: Bearer <secret>}, or as the HS256 JWT Evolution signs with it
 * when the webhook's headers hold {@code jwt_key}. Comparisons run in constant time.
 */
public final class WebhookAuth {

    private static final String PER_INSTANCE_PREFIX = "evolution-webhook:";
    private static final Pattern PER_INSTANCE_TOKEN = Pattern.compile("[0-9a-f]{64}");

    private final Optional<String> secret;
    private final Clock clock;

    public WebhookAuth(Optional<String> secret, Clock clock) {
        this.secret = secret;
        this.clock = clock;
    }

    /**
     * What the request's credentials (its {@code Authorization} header and raw query) settle before its body: a
     * denial (401, 403), or none with the candidates that can only be checked against the event's instance (empty
     * when the global token passed). The public edge asks it before the body is read.
     */
    public Check check(String authorization, String rawQuery) {
        if (secret.isEmpty()) {
            return new Check(403, List.of());
        }
        List<String> candidates = candidates(authorization, rawQuery);
        for (String candidate : candidates) {
            if (Secrets.sameSecret(candidate, secret.get()) || isValidJwt(candidate, secret.get())) {
                return new Check(null, List.of());
            }
        }
        // only what can be a per-instance token (64 hex digits, or a JWT signed with one) waits for the body
        candidates.removeIf(candidate -> !PER_INSTANCE_TOKEN.matcher(candidate).matches()
                && !Hs256Jwt.looksLikeJwt(candidate));
        return candidates.isEmpty() ? new Check(401, List.of()) : new Check(null, List.copyOf(candidates));
    }

    /** A denial's status (null: not denied yet) and the per-instance candidates still to check. */
    public record Check(Integer denial, List<String> pending) {
    }

    /** The message of a denial with {@code status}. */
    public static String denialMessage(int status) {
        return status == 403 ? "webhooks are disabled: set EVOLUTION_WEBHOOK_TOKEN to enable them"
                : "missing or invalid webhook token (?token=, Authorization: Bearer, or jwt_key), or a"
                + " per-instance token used for another instance";
    }

    /**
     * Before the event is parsed: a per-instance token is only valid for events of its own instance. Only the body's
     * top-level {@code instance} is read here ({@link WebhookInstance}); the event itself is parsed once this passed,
     * and must name the same instance ({@link WebhookEvents#read}). Returns the instance a {@code pending} candidate
     * is the token of, or null (then the route answers 401; with no candidate pending, the global token passed).
     */
    public String authenticatedInstance(List<String> pending, byte[] body) {
        if (pending == null || pending.isEmpty()) {
            return null;
        }
        String instance = WebhookInstance.of(body);
        if (instance != null) {
            String instanceSecret = instanceToken(instance);
            for (String candidate : pending) {
                if (Secrets.sameSecret(candidate, instanceSecret) || isValidJwt(candidate, instanceSecret)) {
                    return instance;
                }
            }
        }
        return null;
    }

    /** The answer to a denied webhook: 401, or 403 when webhooks are off. */
    public JsonAnswer deny(int status) {
        return JsonAnswer.error(status, status == 403 ? "forbidden" : "unauthorized", denialMessage(status));
    }

    /** The per-instance webhook token of {@code instance}. */
    public String instanceToken(String instance) {
        return Secrets.hmacHex(secret.orElseThrow(), PER_INSTANCE_PREFIX + instance);
    }

    public boolean isEnabled() {
        return secret.isPresent();
    }

    private static List<String> candidates(String authorization, String rawQuery) {
        // the URL's own ?token= (global webhooks cannot send headers), never a header that happens to be named so
        String queryToken = UrlQuery.value(rawQuery, "token");
        String bearer = Secrets.bearer(authorization);
        List<String> candidates = new ArrayList<>(3);
        for (String candidate : new String[] {queryToken, withoutEventSuffix(queryToken), bearer}) {
            if (candidate != null && !candidate.isEmpty() && candidate.length() <= 8192) {
                candidates.add(candidate);
            }
        }
        return candidates;
    }

    /**
     * With {@code WEBHOOK_GLOBAL_WEBHOOK_BY_EVENTS=true} Evolution appends {@code /qrcode-updated} to the whole URL, so
     * {@code ?token=secret} arrives as {@code secret/qrcode-updated}.
     */
    private static String withoutEventSuffix(String token) {
        int slash = token == null ? -1 : token.indexOf('/');
        return slash < 0 ? null : token.substring(0, slash);
    }

    /** Evolution's jwt_key mode: HS256, signed with the secret, not expired. */
    boolean isValidJwt(String token, String key) {
        return Hs256Jwt.verify(token, key, clock.instant(), false).isPresent();
    }
}
