package io.qrrefresher.api;

import io.qrrefresher.common.JsonAnswers;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import io.qrrefresher.access.ViewerTokens;
import io.qrrefresher.webhook.WebhookAuth;
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

    /** Whether the request can be answered; otherwise the answer is set (the route stops). */
    public boolean viewerTokenRefused(Exchange exchange, @Header("ttl_seconds") String ttlSeconds) {
        if (!viewerTokens.isEnabled()) {
            JsonAnswers.answer(exchange, 409, JsonAnswers.error("viewer_tokens_disabled",
                    "set VIEWER_TOKEN_SECRET (32+ characters) to mint viewer tokens"));
            return true;
        }
        if (ttlSeconds != null) {
            long seconds;
            try {
                seconds = Long.parseLong(ttlSeconds.trim());
            } catch (NumberFormatException e) {
                seconds = -1;
            }
            if (seconds < 10 || seconds > ViewerTokens.MAX_LIFETIME.toSeconds()) {
                JsonAnswers.answer(exchange, 400, JsonAnswers.error("bad_request",
                        "ttl_seconds must be a whole number of seconds from 10 to 86400"));
                return true;
            }
            exchange.setProperty("viewerTokenTtl", Duration.ofSeconds(seconds));
        }
        return false;
    }

    public void viewerToken(Exchange exchange, @Header("name") String name) {
        Duration ttl = exchange.getProperty("viewerTokenTtl", viewerTokens.defaultTtl(), Duration.class);
        Instant expiresAt = Instant.now().plus(ttl);
        String token = viewerTokens.mint(name, expiresAt);
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
