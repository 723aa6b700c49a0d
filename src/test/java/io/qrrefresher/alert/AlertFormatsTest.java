package io.qrrefresher.alert;

import java.time.Duration;
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
    static final String MISSING = "{\"alert\":\"evolution_instance_missing\",\"status\":\"firing\","
            + "\"detected_at\":\"2026-11-25T10:20:00Z\",\"service\":\"qr-refresher\",\"cause\":\"instance_missing\","
            + "\"hint\":\"" + Cause.INSTANCE_MISSING.hint() + "\",\"message\":\"3 connecting instances do not exist"
            + " in Evolution API (HTTP 404)\",\"affected_count\":3,\"instances\":[\"shop-1\",\"shop-2\"],"
            + "\"connecting_count\":40}";
    static final String RESOLVED = "{\"alert\":\"evolution_api_unreachable\",\"status\":\"resolved\","
            + "\"detected_at\":\"2026-11-25T10:30:00Z\",\"service\":\"qr-refresher\","
            + "\"message\":\"Evolution API answers again\"}";

    @Test
    void everyFormatSaysTheCauseWhatToDoAndWhichInstances() throws Exception {
        for (String format : List.of("generic", "slack", "teams", "teams-workflows", "alertmanager")) {
            String body = render(format, MISSING);
            assertThat(body).as(format).contains("instance_missing", "recreate them", "shop-1", "shop-2",
                    "do not exist in Evolution API");
            if (!format.equals("generic")) {
                assertThat(body).as(format).contains("shop-1, shop-2, … (3 in all)");
            }
        }
        JsonNode annotations = JSON.readTree(render("alertmanager", MISSING)).get(0).get("annotations");
        assertThat(annotations.get("main_cause").asText()).isEqualTo("instance_missing");
        assertThat(annotations.get("affected_count").asText()).isEqualTo("3");
        assertThat(annotations.get("hint").asText()).isEqualTo(Cause.INSTANCE_MISSING.hint());
        JsonNode labels = JSON.readTree(render("alertmanager", MISSING)).get(0).get("labels");
        assertThat(labels.get("alertname").asText()).isEqualTo("evolution_instance_missing");
        // fixed per alert name: where the fault lies, as the shipped rules and alertmanager.yml's inhibition say it
        assertThat(labels.get("cause").asText()).isEqualTo("instances");
        assertThat(labels.get("severity").asText()).isEqualTo("warning");
        // an alert about a server lists no instances, and says so
        JsonNode server = JSON.readTree(render("alertmanager", RESOLVED)).get(0);
        assertThat(server.at("/labels/cause").asText()).isEqualTo("evolution");
        assertThat(server.at("/labels/severity").asText()).isEqualTo("critical");
        assertThat(server.at("/annotations/instances").asText()).isEmpty();
        assertThat(server.at("/annotations/affected_count").asText()).isEqualTo("0");
        // resolved: no hint to act on
        String resolved = MISSING.replace("\"firing\"", "\"resolved\"");
        assertThat(render("slack", resolved)).doesNotContain("What to do");
    }

    @Test
    void genericIsTheQueuedJsonAsIs() {
        assertThat(render("generic", STALE)).isEqualTo(STALE);
    }

    @Test
    void slackGetsTextAndBlocks() throws Exception {
        for (String alert : List.of(STALE, RESOLVED, longAlert())) {
            JsonNode body = JSON.readTree(render("slack", alert));

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
        JsonNode stale = JSON.readTree(render("slack", STALE));
        assertThat(stale.get("text").asText()).contains("QR codes not refreshed", "firing", "3 connecting instances",
                "a, b, … (3 in all)");
    }

    @Test
    void teamsGetsAMessageCard() throws Exception {
        for (String alert : List.of(STALE, RESOLVED)) {
            JsonNode card = JSON.readTree(render("teams", alert));

            assertThat(card.get("@type").asText()).isEqualTo("MessageCard");
            assertThat(card.get("@context").asText()).isEqualTo("https://schema.org/extensions");
            assertThat(card.get("summary").asText()).isNotBlank();
            assertThat(card.get("themeColor").asText()).matches("[0-9A-Fa-f]{6}");
            JsonNode facts = card.get("sections").get(0).get("facts");
            assertThat(facts.isArray()).isTrue();
            facts.forEach(fact -> assertThat(Set.of("name", "value")).containsAll(iterable(fact)));
        }
        assertThat(JSON.readTree(render("teams", RESOLVED)).get("themeColor").asText())
                .isEqualTo("2EB886");
    }

    @Test
    void slackEscapesWhatItWouldParse() throws Exception {
        String hostile = "{\"alert\":\"qr_refresh_failures\",\"status\":\"firing\",\"detected_at\":"
                + "\"2026-11-25T10:20:00Z\",\"service\":\"qr-refresher\",\"failed_count\":1,"
                + "\"instances\":[\"<!channel> x&y <@U123|boss>\"],\"stale_after_seconds\":300}";

        String body = render("slack", hostile);

        assertThat(body).doesNotContain("<!channel>", "<@U123").contains("&lt;!channel&gt; x&amp;y &lt;@U123|boss&gt;");
        assertThat(AlertFormats.slackEscaped("a & b <c>")).isEqualTo("a &amp; b &lt;c&gt;");
    }

    @Test
    void teamsWorkflowsGetsAnAdaptiveCardMessage() throws Exception {
        for (String alert : List.of(STALE, RESOLVED)) {
            JsonNode message = JSON.readTree(render("teams-workflows", alert));

            assertThat(message.get("type").asText()).isEqualTo("message");
            JsonNode attachment = message.get("attachments").get(0);
            assertThat(attachment.get("contentType").asText()).isEqualTo("application/vnd.microsoft.card.adaptive");
            JsonNode card = attachment.get("content");
            assertThat(card.get("type").asText()).isEqualTo("AdaptiveCard");
            assertThat(card.get("version").asText()).isEqualTo("1.4");
            assertThat(card.get("body").get(0).get("type").asText()).isEqualTo("TextBlock");
            assertThat(card.get("body").get(2).get("facts").get(0).get("title").asText()).isEqualTo("Alert");
        }
    }

    @Test
    void alertmanagerGetsAnAlertListResolvedByEndsAt() throws Exception {
        JsonNode firing = JSON.readTree(render("alertmanager", STALE)).get(0);
        assertThat(firing.get("labels").get("alertname").asText()).isEqualTo("qr_refresh_failures");
        assertThat(firing.get("labels").get("severity").asText()).isEqualTo("warning");
        assertThat(firing.get("startsAt").asText()).isEqualTo("2026-11-25T10:20:00Z");
        assertThat(firing.get("endsAt").asText()).isEqualTo(NOW.plus(Duration.ofHours(12)).toString());
        assertThat(firing.get("annotations").get("description").asText()).contains("3 connecting instances");

        JsonNode resolved = JSON.readTree(render("alertmanager", RESOLVED)).get(0);
        assertThat(resolved.get("labels").get("severity").asText()).isEqualTo("critical");
        assertThat(resolved.get("endsAt").asText()).isEqualTo("2026-11-25T10:30:00Z");
        assertThat(AlertDelivery.firingFor(Duration.ofHours(6))).isEqualTo(Duration.ofHours(12));
        assertThat(AlertDelivery.firingFor(Duration.ZERO)).isEqualTo(Duration.ofDays(1));
    }

    static final java.time.Instant NOW = java.time.Instant.parse("2026-11-25T10:21:00Z");

    private static String render(String format, String payload) {
        return AlertFormats.render(format, payload, NOW, Duration.ofHours(12));
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
