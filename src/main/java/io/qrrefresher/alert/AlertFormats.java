package io.qrrefresher.alert;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Renders an alert (our generic JSON, as queued) in the shape the receiver expects: {@code generic} as is,
 * {@code slack} as an incoming-webhook message ({@code text} plus Block Kit {@code blocks}; {@code &}, {@code <} and
 * {@code >} escaped, so that an instance named {@code <!channel>} notifies nobody), {@code teams} as an Office 365
 * connector MessageCard, {@code teams-workflows} as the Adaptive Card message that Teams Workflows webhooks take (the
 * connectors are being retired), {@code alertmanager} as the alert list of Alertmanager's {@code POST /api/v2/alerts}
 * (resolved by {@code endsAt}). The signature, when configured, covers whatever body is sent.
 */
public final class AlertFormats {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> TITLES = Map.of(
            AlertSignals.STALE_QR_CODES, "QR codes not refreshed",
            AlertSignals.EVOLUTION_UNREACHABLE, "Evolution API unreachable",
            AlertSignals.EVOLUTION_UNAUTHORIZED, "Evolution API refuses the apikey",
            AlertSignals.QR_LIMIT_REACHED, "QR code limit reached");

    private static final Map<String, String> SEVERITIES = Map.of(
            AlertSignals.STALE_QR_CODES, "warning",
            AlertSignals.EVOLUTION_UNREACHABLE, "critical",
            AlertSignals.EVOLUTION_UNAUTHORIZED, "critical",
            AlertSignals.QR_LIMIT_REACHED, "info");

    private AlertFormats() {
    }

    /**
     * @param now           when it is sent
     * @param firingFor     for alertmanager: how long a firing alert stays firing without being sent again (it is
     *                      sent again at each reminder; a service that died leaves it firing that long)
     */
    public static String render(String format, String payload, Instant now, Duration firingFor) {
        if ("generic".equals(format)) {
            return payload;
        }
        try {
            JsonNode alert = JSON.readTree(payload);
            Object body = switch (format) {
                case "slack" -> slack(alert);
                case "teams-workflows" -> teamsWorkflows(alert);
                case "alertmanager" -> alertmanager(alert, now, firingFor);
                default -> teams(alert);
            };
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Queued alerts are our own JSON", e);
        }
    }

    private static Map<String, Object> slack(JsonNode alert) {
        String title = (firing(alert) ? ":red_circle: " : ":large_green_circle: ") + title(alert) + " — "
                + alert.path("status").asText();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("text", slackEscaped(title + ": " + text(alert)));
        List<Object> blocks = new ArrayList<>();
        blocks.add(Map.of("type", "header", "text", Map.of("type", "plain_text", "text", cut(title, 150),
                "emoji", true)));
        blocks.add(Map.of("type", "section", "text", Map.of("type", "mrkdwn",
                "text", cut(slackEscaped(text(alert)), 3000))));
        blocks.add(Map.of("type", "context", "elements", List.of(Map.of("type", "mrkdwn",
                "text", cut(slackEscaped("`" + alert.path("alert").asText() + "` · " + alert.path("service").asText()
                        + " · " + alert.path("detected_at").asText()), 3000)))));
        body.put("blocks", blocks);
        return body;
    }

    private static Map<String, Object> teams(JsonNode alert) {
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("@type", "MessageCard");
        card.put("@context", "https://schema.org/extensions");
        card.put("summary", title(alert) + " — " + alert.path("status").asText());
        card.put("themeColor", firing(alert) ? "D13438" : "2EB886");
        card.put("title", title(alert) + " — " + alert.path("status").asText());
        card.put("text", text(alert));
        List<Map<String, String>> facts = new ArrayList<>();
        facts.add(Map.of("name", "Alert", "value", alert.path("alert").asText()));
        facts.add(Map.of("name", "Status", "value", alert.path("status").asText()));
        facts.add(Map.of("name", "Service", "value", alert.path("service").asText()));
        facts.add(Map.of("name", "Detected at", "value", alert.path("detected_at").asText()));
        card.put("sections", List.of(Map.of("facts", facts, "markdown", true)));
        return card;
    }

    /** An Adaptive Card in the message envelope of Teams Workflows ("Post to a channel when a webhook request is received"). */
    private static Map<String, Object> teamsWorkflows(JsonNode alert) {
        List<Object> body = new ArrayList<>();
        body.add(Map.of("type", "TextBlock", "text", title(alert) + " — " + alert.path("status").asText(),
                "weight", "Bolder", "size", "Medium", "wrap", true, "color", firing(alert) ? "Attention" : "Good"));
        body.add(Map.of("type", "TextBlock", "text", cut(text(alert), 3000), "wrap", true));
        body.add(Map.of("type", "FactSet", "facts", List.of(
                Map.of("title", "Alert", "value", alert.path("alert").asText()),
                Map.of("title", "Status", "value", alert.path("status").asText()),
                Map.of("title", "Service", "value", alert.path("service").asText()),
                Map.of("title", "Detected at", "value", alert.path("detected_at").asText()))));
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
        card.put("type", "AdaptiveCard");
        card.put("version", "1.4");
        card.put("body", body);
        Map<String, Object> attachment = new LinkedHashMap<>();
        attachment.put("contentType", "application/vnd.microsoft.card.adaptive");
        attachment.put("contentUrl", null);
        attachment.put("content", card);
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("type", "message");
        message.put("attachments", List.of(attachment));
        return message;
    }

    /**
     * Alertmanager's {@code POST /api/v2/alerts}: a list with one alert, identified by its labels (alertname,
     * service, severity). Firing: {@code endsAt} {@code firingFor} ahead (Alertmanager would otherwise resolve it
     * after its resolve_timeout); resolved: {@code endsAt} now.
     */
    private static List<Object> alertmanager(JsonNode alert, Instant now, Duration firingFor) {
        Map<String, Object> labels = new LinkedHashMap<>();
        labels.put("alertname", alert.path("alert").asText());
        labels.put("service", alert.path("service").asText());
        labels.put("severity", SEVERITIES.getOrDefault(alert.path("alert").asText(), "warning"));
        if (alert.hasNonNull("instance_name")) {
            labels.put("instance_name", alert.get("instance_name").asText());
        }
        Map<String, Object> annotations = new LinkedHashMap<>();
        annotations.put("summary", title(alert));
        annotations.put("description", cut(text(alert), 3000));
        Instant detected = Instant.parse(alert.path("detected_at").asText(now.toString()));
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("labels", labels);
        body.put("annotations", annotations);
        if (firing(alert)) {
            body.put("startsAt", detected.toString());
            body.put("endsAt", now.plus(firingFor).toString());
        } else {
            body.put("startsAt", detected.toString());
            body.put("endsAt", detected.toString());
        }
        return List.of(body);
    }

    /** Slack's own escaping for text it parses: without it {@code <!channel>} in a name notifies a whole channel. */
    static String slackEscaped(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static boolean firing(JsonNode alert) {
        return "firing".equals(alert.path("status").asText());
    }

    private static String title(JsonNode alert) {
        return TITLES.getOrDefault(alert.path("alert").asText(), alert.path("alert").asText());
    }

    private static String text(JsonNode alert) {
        if (alert.has("message")) {
            return alert.get("message").asText();
        }
        if (!firing(alert)) {
            return "QR codes are fresh again";
        }
        List<String> names = new ArrayList<>();
        alert.path("instances").forEach(name -> names.add(name.asText()));
        long count = alert.path("failed_count").asLong();
        return count + " connecting instances have no QR code newer than " + alert.path("stale_after_seconds").asLong()
                + " s" + (names.isEmpty() ? "" : ": " + String.join(", ", names)
                + (names.size() < count ? ", ..." : ""));
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
