package io.qrrefresher.alert;

import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The Slack and Teams bodies against their published shapes: Slack incoming webhooks take {@code text} (the
 * notification fallback) and Block Kit {@code blocks} (header: plain_text up to 150 characters; section: mrkdwn up to
 * 3000; context: up to 10 elements); a Teams connector MessageCard needs {@code @type}, {@code @context}, a
 * {@code summary} or {@code text}, and takes {@code themeColor} as hex and {@code sections[].facts[]} as name/value.
 */
class AlertFormatsTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String STALE = "{\"alert\":\"qr_refresh_failures\",\"status\":\"firing\","
            + "\"detected_at\":\"2026-11-25T10:20:00Z\",\"service\":\"qr-refresher\",\"failed_count\":3,"
            + "\"instances\":[\"a\",\"b\"],\"stale_after_seconds\":300}";
    static final String RESOLVED = "{\"alert\":\"evolution_api_unreachable\",\"status\":\"resolved\","
            + "\"detected_at\":\"2026-11-25T10:30:00Z\",\"service\":\"qr-refresher\","
            + "\"message\":\"Evolution API answers again\"}";

    @Test
    void genericIsTheQueuedJsonAsIs() {
        assertThat(AlertFormats.render("generic", STALE)).isEqualTo(STALE);
    }

    @Test
    void slackGetsTextAndBlocks() throws Exception {
        for (String alert : List.of(STALE, RESOLVED, longAlert())) {
            JsonNode body = JSON.readTree(AlertFormats.render("slack", alert));

            assertThat(body.get("text").isTextual()).isTrue();
            assertThat(body.get("text").asText()).isNotBlank();
            JsonNode blocks = body.get("blocks");
            assertThat(blocks.isArray()).isTrue();
            assertThat(blocks.size()).isBetween(1, 50);
            for (JsonNode block : blocks) {
                String type = block.get("type").asText();
                assertThat(type).isIn("header", "section", "context", "divider");
                if (type.equals("header")) {
                    assertThat(block.get("text").get("type").asText()).isEqualTo("plain_text");
                    assertThat(block.get("text").get("text").asText().length()).isLessThanOrEqualTo(150);
                }
                if (type.equals("section")) {
                    assertThat(block.get("text").get("type").asText()).isIn("mrkdwn", "plain_text");
                    assertThat(block.get("text").get("text").asText().length()).isBetween(1, 3000);
                }
                if (type.equals("context")) {
                    assertThat(block.get("elements").size()).isBetween(1, 10);
                    block.get("elements").forEach(element ->
                            assertThat(element.get("type").asText()).isIn("mrkdwn", "plain_text", "image"));
                }
            }
        }
        JsonNode stale = JSON.readTree(AlertFormats.render("slack", STALE));
        assertThat(stale.get("text").asText()).contains("QR codes not refreshed", "firing", "3 connecting instances",
                "a, b, ...");
    }

    @Test
    void teamsGetsAMessageCard() throws Exception {
        for (String alert : List.of(STALE, RESOLVED)) {
            JsonNode card = JSON.readTree(AlertFormats.render("teams", alert));

            assertThat(card.get("@type").asText()).isEqualTo("MessageCard");
            assertThat(card.get("@context").asText()).isEqualTo("https://schema.org/extensions");
            assertThat(card.get("summary").asText()).isNotBlank();
            assertThat(card.get("themeColor").asText()).matches("[0-9A-Fa-f]{6}");
            JsonNode facts = card.get("sections").get(0).get("facts");
            assertThat(facts.isArray()).isTrue();
            facts.forEach(fact -> assertThat(Set.of("name", "value")).containsAll(iterable(fact)));
        }
        assertThat(JSON.readTree(AlertFormats.render("teams", RESOLVED)).get("themeColor").asText())
                .isEqualTo("2EB886");
    }

    private static String longAlert() {
        StringBuilder names = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            names.append(i == 0 ? "" : ",").append("\"instance-with-a-long-name-").append(i).append('"');
        }
        return "{\"alert\":\"qr_refresh_failures\",\"status\":\"firing\",\"detected_at\":\"2026-11-25T10:20:00Z\","
                + "\"service\":\"" + "s".repeat(200) + "\",\"failed_count\":400,\"instances\":[" + names
                + "],\"stale_after_seconds\":300}";
    }

    private static List<String> iterable(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
