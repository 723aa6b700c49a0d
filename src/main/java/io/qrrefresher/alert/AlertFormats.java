package io.qrrefresher.alert;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Renders an alert (our generic JSON, as queued) in the shape the receiver expects: {@code generic} as is,
 * {@code slack} as an incoming-webhook message ({@code text} plus Block Kit {@code blocks}), {@code teams} as an
 * Office 365 connector MessageCard. The signature, when configured, covers whatever body is sent.
 */
public final class AlertFormats {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, String> TITLES = Map.of(
            AlertSignals.STALE_QR_CODES, "QR codes not refreshed",
            AlertSignals.EVOLUTION_UNREACHABLE, "Evolution API unreachable",
            AlertSignals.EVOLUTION_UNAUTHORIZED, "Evolution API refuses the apikey",
            AlertSignals.QR_LIMIT_REACHED, "QR code limit reached");

    private AlertFormats() {
    }

    public static String render(String format, String payload) {
        if ("generic".equals(format)) {
            return payload;
        }
        try {
            JsonNode alert = JSON.readTree(payload);
            Object body = "slack".equals(format) ? slack(alert) : teams(alert);
            return JSON.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Queued alerts are our own JSON", e);
        }
    }

    private static Map<String, Object> slack(JsonNode alert) {
        String title = (firing(alert) ? ":red_circle: " : ":large_green_circle: ") + title(alert) + " — "
                + alert.path("status").asText();
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("text", title + ": " + text(alert));
        List<Object> blocks = new ArrayList<>();
        blocks.add(Map.of("type", "header", "text", Map.of("type", "plain_text", "text", cut(title, 150),
                "emoji", true)));
        blocks.add(Map.of("type", "section", "text", Map.of("type", "mrkdwn", "text", cut(text(alert), 3000))));
        blocks.add(Map.of("type", "context", "elements", List.of(Map.of("type", "mrkdwn",
                "text", cut("`" + alert.path("alert").asText() + "` · " + alert.path("service").asText()
                        + " · " + alert.path("detected_at").asText(), 3000)))));
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
