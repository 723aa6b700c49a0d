package io.qrrefresher.api;

import io.qrrefresher.common.JsonAnswer;
import io.qrrefresher.common.UrlPaths;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import io.qrrefresher.access.ViewerTokens;
import io.qrrefresher.webhook.WebhookAuth;

/**
 * Credentials the admin hands out: viewer tokens for browsers ({@code POST /instances/{name}/viewer-token}) and the
 * per-instance webhook token for an instance's own webhook settings ({@code GET /instances/{name}/webhook-token}).
 */
public final class AccessAnswers {

    private final ViewerTokens viewerTokens;
    private final WebhookAuth webhookAuth;

    public AccessAnswers(ViewerTokens viewerTokens, WebhookAuth webhookAuth) {
        this.viewerTokens = viewerTokens;
        this.webhookAuth = webhookAuth;
    }

    /**
     * Why a viewer token cannot be minted for this request, as the answer to send (409: viewer tokens are off; 400: a
     * lifetime out of range), or null when it can.
     */
    public JsonAnswer viewerTokenRefusal(String ttlSeconds) {
        if (!viewerTokens.isEnabled()) {
            return JsonAnswer.error(409, "viewer_tokens_disabled",
                    "set VIEWER_TOKEN_SECRET (32+ characters) to mint viewer tokens");
        }
        if (ttlSeconds == null || ttl(ttlSeconds) != null) {
            return null;
        }
        return JsonAnswer.error(400, "bad_request",
                "ttl_seconds must be a whole number of seconds from 10 to " + ViewerTokens.MAX_LIFETIME.toSeconds());
    }

    private static Duration ttl(String ttlSeconds) {
        long seconds;
        try {
            seconds = Long.parseLong(ttlSeconds.trim());
        } catch (NumberFormatException e) {
            return null;
        }
        return seconds < 10 || seconds > ViewerTokens.MAX_LIFETIME.toSeconds() ? null : Duration.ofSeconds(seconds);
    }

    /** A token for the row read by the route ({@code row_id}, {@code user_id}). */
    /** A token for the row read ({@code row_id}, {@code user_id}), valid {@code ttlSeconds} or the default. */
    public JsonAnswer viewerToken(String name, String ttlSeconds, Map<String, Object> row) {
        Duration ttl = ttlSeconds == null ? viewerTokens.defaultTtl() : ttl(ttlSeconds);
        Instant expiresAt = Instant.now().plus(ttl);
        Object owner = row.get("user_id");
        String token = viewerTokens.mint(name, String.valueOf(row.get("row_id")), owner == null ? null
                : owner.toString(), expiresAt);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance_name", name);
        body.put("token", token);
        body.put("expires_at", expiresAt.toString());
        body.put("stream_path", "/instances/" + UrlPaths.segment(name) + "/qr/stream?token=" + token);
        return JsonAnswer.ok(body);
    }

    public JsonAnswer webhookToken(String name) {
        if (!webhookAuth.isEnabled()) {
            return JsonAnswer.error(409, "webhooks_disabled", "set EVOLUTION_WEBHOOK_TOKEN to enable webhooks");
        }
        String token = webhookAuth.instanceToken(name);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance_name", name);
        body.put("token", token);
        body.put("webhook_path", "/webhooks/evolution?token=" + token);
        body.put("valid_for", "events of this instance only");
        return JsonAnswer.ok(body);
    }

    public JsonAnswer unknownInstance() {
        return JsonAnswer.error(404, "not_found", "no such instance in evolution_instances");
    }
}
