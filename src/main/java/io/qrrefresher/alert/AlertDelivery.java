package io.qrrefresher.alert;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import io.qrrefresher.config.Settings;
import io.qrrefresher.metrics.QrMetrics;
import io.qrrefresher.common.Failures;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts queued alerts (table {@code qr_refresher.alert_outbox}) to {@code ALERT_WEBHOOK_URL}: the JSON body as queued,
 * signed when {@code ALERT_WEBHOOK_SECRET} is set. A failed post is retried with exponential backoff by the route
 * {@code deliver-alerts}; nothing is lost while the receiver is down, up to {@code ALERT_DELIVERY_MAX_AGE}.
 */
public final class AlertDelivery {

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON =
            new com.fasterxml.jackson.databind.ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(AlertDelivery.class);

    private final Optional<URI> webhookUrl;
    private final Optional<String> secret;
    private final Settings.Alerts settings;

    private final QrMetrics metrics;

    public AlertDelivery(Settings.Alerts settings, QrMetrics metrics) {
        this.settings = settings;
        this.metrics = metrics;
        this.webhookUrl = settings.webhookUrl();
        this.secret = settings.webhookSecret();
    }

    public boolean isConfigured() {
        return webhookUrl.isPresent();
    }

    /**
     * How long a receiver that expires alerts (Alertmanager) keeps a firing one: two reminders, so that one lost
     * delivery does not resolve it; a day when reminders are off.
     */
    static Duration firingFor(Duration reminderInterval) {
        return reminderInterval.isZero() ? Duration.ofDays(1) : reminderInterval.multipliedBy(2);
    }

    /**
     * One queued alert on its way to the receiver: the flow's holder, carried by the route {@code deliver-alerts} as
     * the exchange property {@code alertPost}. The route sets the request from it: POST to
     * {@code {{alert.webhook.origin}}} with {@code path} and {@code query} (Slack and Teams keep their secret there,
     * out of the endpoint URI that JMX and hawtio show), {@code body}, and {@code signature} when signing.
     */
    public record AlertPost(long id, String deliveryId, String alert, String status, int attempts, byte[] body, String path,
                            String query, String signature) {
        /** "qr_refresh_failures firing", for the log. */
        public String name() {
            return alert + " " + status;
        }
    }

    /** Turns an outbox row (id, alert, status, payload, attempts) into the signed POST. */
    public AlertPost prepare(Map<?, ?> row) {
        byte[] body = AlertFormats.render(settings.webhookFormat(), String.valueOf(row.get("payload")), Instant.now(),
                firingFor(settings.reminderInterval())).getBytes(StandardCharsets.UTF_8);
        URI url = webhookUrl.orElseThrow();
        long id = ((Number) row.get("id")).longValue();
        return new AlertPost(id, deliveryId(id, String.valueOf(row.get("payload"))), String.valueOf(row.get("alert")),
                String.valueOf(row.get("status")), ((Number) row.get("attempts")).intValue(), body,
                url.getRawPath() == null ? "" : url.getRawPath(), url.getRawQuery(),
                secret.map(key -> WebhookSignature.sign(key, Instant.now(), body)).orElse(null));
    }

    /**
     * The payload's {@code delivery_id}, a UUID made with the alert, so unique across deployments and the same at
     * every retry; for a row queued by a version before it, a UUID derived from the row's id and payload.
     */
    static String deliveryId(long rowId, String payload) {
        try {
            com.fasterxml.jackson.databind.JsonNode id = JSON.readTree(payload).path("delivery_id");
            if (id.isTextual()) {
                return java.util.UUID.fromString(id.asText()).toString();
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            // derived below
        }
        return java.util.UUID.nameUUIDFromBytes((rowId + ":" + payload).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** Accepts a 2xx answer of the receiver; any other is a failed attempt. */
    public void checkAnswer(int status) throws WebhookRejectedException {
        if (status < 200 || status > 299) {
            throw new WebhookRejectedException("the webhook answered HTTP " + status);
        }
    }

    public void delivered(AlertPost post) {
        LOG.info("Alert {} delivered to the webhook", post.name());
        metrics.alert(post.alert(), post.status(), "delivered");
    }

    /**
     * Why the post failed, in one line (stored as the row's last_error); the route then schedules the next attempt.
     * {@code post} is null when the row itself could not be turned into a post: it is retried, then abandoned, like
     * any other.
     */
    public String failed(AlertPost post, Throwable cause) {
        String reason = Failures.describe(cause);
        if (post != null) {
            metrics.alert(post.alert(), post.status(), "failed");
        }
        LOG.warn("Alert {} not delivered (attempt {}): {}; will retry", post == null ? "(unreadable row)" : post.name(),
                post == null ? "?" : String.valueOf(post.attempts() + 1), reason);
        return reason;
    }

    /** The row after the retry was scheduled: {@code abandoned} is true once the alert is older than the max age. */
    public void retryScheduled(AlertPost post, Boolean abandoned, String reason) {
        if (Boolean.TRUE.equals(abandoned)) {
            if (post != null) {
                metrics.alert(post.alert(), post.status(), "abandoned");
            }
            LOG.error("Alert {} abandoned: not delivered within {} ({})", post == null ? "(unreadable row)"
                    : post.name(), settings.deliveryMaxAge(), reason);
        }
    }

    /** A non-2xx answer of the webhook receiver. */
    public static final class WebhookRejectedException extends Exception {
        public WebhookRejectedException(String message) {
            super(message);
        }
    }
}
