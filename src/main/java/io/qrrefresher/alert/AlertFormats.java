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
    private static final Map<String, String> TITLES = titles();

    private static Map<String, String> titles() {
        Map<String, String> titles = new LinkedHashMap<>();
        for (Cause cause : Cause.values()) {
            titles.putIfAbsent(cause.alert(), cause.title());
        }
        titles.put(AlertSignals.STALE_QR_CODES, "QR codes not refreshed");
        return titles;
    }

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
        body.put("text", slackEscaped(title + ": " + text(alert)
                + (instances(alert).isEmpty() ? "" : ": " + instances(alert))));
        List<Object> blocks = new ArrayList<>();
        blocks.add(Map.of("type", "header", "text", Map.of("type", "plain_text", "text", cut(title, 150),
                "emoji", true)));
        StringBuilder section = new StringBuilder(slackEscaped(text(alert)));
        if (firing(alert) && !hint(alert).isEmpty()) {
            section.append("\n*What to do:* ").append(slackEscaped(hint(alert)));
        }
        if (!instances(alert).isEmpty()) {
            section.append("\n*Instances:* ").append(slackEscaped(instances(alert)));
        }
        blocks.add(Map.of("type", "section", "text", Map.of("type", "mrkdwn", "text", cut(section.toString(), 3000))));
        blocks.add(Map.of("type", "context", "elements", List.of(Map.of("type", "mrkdwn",
                "text", cut(slackEscaped("`" + alert.path("alert").asText() + "`"
                        + (alert.hasNonNull("cause") ? " · cause `" + alert.get("cause").asText() + "`" : "")
                        + " · " + alert.path("service").asText()
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
        for (Map.Entry<String, String> fact : facts(alert).entrySet()) {
            facts.add(Map.of("name", fact.getKey(), "value", fact.getValue()));
        }
        card.put("sections", List.of(Map.of("facts", facts, "markdown", false)));
        return card;
    }

    /** An Adaptive Card in the message envelope of Teams Workflows ("Post to a channel when a webhook request is received"). */
    private static Map<String, Object> teamsWorkflows(JsonNode alert) {
        List<Object> body = new ArrayList<>();
        body.add(Map.of("type", "TextBlock", "text", title(alert) + " — " + alert.path("status").asText(),
                "weight", "Bolder", "size", "Medium", "wrap", true, "color", firing(alert) ? "Attention" : "Good"));
        body.add(Map.of("type", "TextBlock", "text", cut(text(alert), 3000), "wrap", true));
        List<Object> facts = new ArrayList<>();
        for (Map.Entry<String, String> fact : facts(alert).entrySet()) {
            facts.add(Map.of("title", fact.getKey(), "value", fact.getValue()));
        }
        body.add(Map.of("type", "FactSet", "facts", facts));
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
        // fixed for an alert name (alerts queued by a version before labels get them here)
        Map<String, Object> labels = new LinkedHashMap<>(Cause.labels(alert.path("alert").asText(),
                alert.path("service").asText()));
        if (alert.hasNonNull("instance_name")) {
            labels.put("instance_name", alert.get("instance_name").asText());
        }
        // the detailed cause stays out of the labels: it may change while qr_refresh_failures fires, and labels name
        // the alert
        Map<String, Object> annotations = new LinkedHashMap<>();
        annotations.put("summary", title(alert));
        annotations.put("description", cut(text(alert), 3000));
        if (alert.hasNonNull("cause")) {
            annotations.put("main_cause", alert.get("cause").asText());
        }
        if (!hint(alert).isEmpty()) {
            annotations.put("hint", hint(alert));
        }
        // on every alert: none when it concerns a server or the service
        annotations.put("instances", cut(instances(alert), 3000));
        annotations.put("affected_count", alert.path("affected_count").asText("0"));
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
        if (alert.has("failed_count") && firing(alert)) {
            // queued by a version before causes: the stale count had no message
            return alert.path("failed_count").asLong() + " connecting instances have no QR code newer than "
                    + alert.path("stale_after_seconds").asLong() + " s";
        }
        return firing(alert) ? title(alert) : title(alert) + ": resolved";
    }

    private static String hint(JsonNode alert) {
        return alert.hasNonNull("hint") ? alert.get("hint").asText() : "";
    }

    /** The names listed, with "…" when the alert counts more instances than it lists. */
    private static String instances(JsonNode alert) {
        List<String> names = new ArrayList<>();
        alert.path("instances").forEach(name -> names.add(name.asText()));
        if (names.isEmpty()) {
            return "";
        }
        long affected = alert.path("affected_count").asLong(alert.path("failed_count").asLong(names.size()));
        return String.join(", ", names) + (names.size() < affected ? ", … (" + affected + " in all)" : "");
    }

    /** The facts of the Teams cards: what, why, what to do, which instances. */
    private static Map<String, String> facts(JsonNode alert) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("Alert", alert.path("alert").asText());
        facts.put("Status", alert.path("status").asText());
        if (alert.hasNonNull("cause")) {
            facts.put("Cause", alert.get("cause").asText());
        }
        if (firing(alert) && !hint(alert).isEmpty()) {
            facts.put("What to do", hint(alert));
        }
        if (alert.has("affected_count")) {
            facts.put("Affected", alert.get("affected_count").asText());
        }
        if (!instances(alert).isEmpty()) {
            facts.put("Instances", cut(instances(alert), 3000));
        }
        facts.put("Service", alert.path("service").asText());
        facts.put("Detected at", alert.path("detected_at").asText());
        return facts;
    }

    private static String cut(String text, int max) {
        return text.length() <= max ? text : text.substring(0, max - 1) + "…";
    }
}
