package io.qrrefresher.alert;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;

import io.qrrefresher.config.Settings;
import io.qrrefresher.ops.QrMetrics;
import io.qrrefresher.common.Failures;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Posts queued alerts (table {@code qr_refresher.alert_outbox}) to {@code ALERT_WEBHOOK_URL}: the JSON body as queued,
 * signed when {@code ALERT_WEBHOOK_SECRET} is set. A failed post is retried with exponential backoff by the route
 * {@code deliver-alerts}; nothing is lost while the receiver is down, up to {@code ALERT_DELIVERY_MAX_AGE}.
 */
public final class AlertDelivery {

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

    /** Turns an outbox row into the signed POST. */
    public void prepare(Exchange exchange) {
        Map<?, ?> row = exchange.getMessage().getBody(Map.class);
        exchange.setProperty("alertId", ((Number) row.get("id")).longValue());
        exchange.setProperty("alertName", row.get("alert") + " " + row.get("status"));
        exchange.setProperty("alertKey", row.get("alert"));
        exchange.setProperty("alertStatus", row.get("status"));
        exchange.setProperty("alertAttempts", ((Number) row.get("attempts")).intValue());
        byte[] body = AlertFormats.render(settings.webhookFormat(), String.valueOf(row.get("payload")), Instant.now(),
                firingFor(settings.reminderInterval())).getBytes(StandardCharsets.UTF_8);

        Message message = exchange.getMessage();
        message.getHeaders().clear();
        message.setHeader(Exchange.HTTP_METHOD, "POST");
        // the route posts to {{alert.webhook.origin}}; the path and query may hold the receiver's secret
        URI url = webhookUrl.orElseThrow();
        message.setHeader(Exchange.HTTP_PATH, url.getRawPath() == null ? "" : url.getRawPath());
        if (url.getRawQuery() != null) {
            message.setHeader(Exchange.HTTP_QUERY, url.getRawQuery());
        }
        message.setHeader(Exchange.CONTENT_TYPE, "application/json");
        message.setHeader("User-Agent", "qr-refresher");
        message.setHeader("X-Alert-Delivery-Id", row.get("id"));
        secret.ifPresent(key -> message.setHeader(WebhookSignature.HEADER, WebhookSignature.sign(key, body)));
        message.setBody(body);
    }

    /** Any answer but 2xx is a failed delivery. */
    public void checkAnswer(Exchange exchange) throws WebhookRejectedException {
        int status = exchange.getMessage().getHeader(Exchange.HTTP_RESPONSE_CODE, 0, Integer.class);
        exchange.getMessage().setBody(null);
        if (status < 200 || status > 299) {
            throw new WebhookRejectedException("the webhook answered HTTP " + status);
        }
    }

    public void delivered(Exchange exchange) {
        LOG.info("Alert {} delivered to the webhook", exchange.getProperty("alertName"));
        count(exchange, "delivered");
    }

    /** Notes why the post failed; the route then schedules the next attempt. */
    public void failed(Exchange exchange) {
        String reason = Failures.describe(exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class));
        exchange.setProperty("alertError", reason);
        count(exchange, "failed");
        LOG.warn("Alert {} not delivered (attempt {}): {}; will retry", exchange.getProperty("alertName"),
                exchange.getProperty("alertAttempts", Integer.class) + 1, reason);
    }

    /** The row after the retry was scheduled: {@code abandoned} is true once the alert is older than the max age. */
    public void retryScheduled(Exchange exchange) {
        Boolean abandoned = exchange.getMessage().getBody(Boolean.class);
        if (Boolean.TRUE.equals(abandoned)) {
            count(exchange, "abandoned");
            LOG.error("Alert {} abandoned: not delivered within {} ({})", exchange.getProperty("alertName"),
                    settings.deliveryMaxAge(), exchange.getProperty("alertError"));
        }
    }

    private void count(Exchange exchange, String result) {
        metrics.alert(String.valueOf(exchange.getProperty("alertKey")), String.valueOf(exchange.getProperty("alertStatus")),
                result);
    }

    /** A non-2xx answer of the webhook receiver. */
    public static final class WebhookRejectedException extends Exception {
        public WebhookRejectedException(String message) {
            super(message);
        }
    }
}
