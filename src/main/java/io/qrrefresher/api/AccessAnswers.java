package io.qrrefresher.api;

import io.qrrefresher.common.JsonAnswers;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import io.qrrefresher.access.ViewerTokens;
import io.qrrefresher.webhook.WebhookAuth;
import org.apache.camel.Body;
import org.apache.camel.Exchange;
import org.apache.camel.Header;

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
     * Why a viewer token cannot be minted for this request, or null. Used as a filter's expression, so it only
     * decides: the answer is written by {@link #refuseViewerToken} (an expression's changes to the message are not
     * the route's).
     */
    public String viewerTokenProblem(@Header("ttl_seconds") String ttlSeconds) {
        if (!viewerTokens.isEnabled()) {
            return "disabled";
        }
        return ttlSeconds == null || ttl(ttlSeconds) != null ? null : "ttl";
    }

    /** Answers the refusal {@link #viewerTokenProblem} found: 409 disabled, 400 a lifetime out of range. */
    public void refuseViewerToken(Exchange exchange, @Header("ttl_seconds") String ttlSeconds) {
        if (!viewerTokens.isEnabled()) {
            JsonAnswers.answer(exchange, 409, JsonAnswers.error("viewer_tokens_disabled",
                    "set VIEWER_TOKEN_SECRET (32+ characters) to mint viewer tokens"));
            return;
        }
        JsonAnswers.answer(exchange, 400, JsonAnswers.error("bad_request",
                "ttl_seconds must be a whole number of seconds from 10 to " + ViewerTokens.MAX_LIFETIME.toSeconds()));
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
    public void viewerToken(Exchange exchange, @Header("name") String name,
                            @Header("ttl_seconds") String ttlSeconds, @Body Map<String, Object> row) {
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
        JsonAnswers.answer(exchange, 200, body);
    }

    public void webhookToken(Exchange exchange, @Header("name") String name) {
        if (!webhookAuth.isEnabled()) {
            JsonAnswers.answer(exchange, 409, JsonAnswers.error("webhooks_disabled",
                    "set EVOLUTION_WEBHOOK_TOKEN to enable webhooks"));
            return;
        }
        String token = webhookAuth.instanceToken(name);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance_name", name);
        body.put("token", token);
        body.put("webhook_path", "/webhooks/evolution?token=" + token);
        body.put("valid_for", "events of this instance only");
        JsonAnswers.answer(exchange, 200, body);
    }

    public void unknownInstance(Exchange exchange) {
        JsonAnswers.answer(exchange, 404, JsonAnswers.error("not_found", "no such instance in evolution_instances"));
    }
}
