package io.qrrefresher.ops;

import java.io.InputStream;
import java.util.Properties;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.core.layout.PatternLayout;
import org.apache.logging.log4j.message.SimpleMessage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The console pattern of log4j2.properties masks what follows apikey, token, password, secret or Bearer. */
class LogMaskingTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "apikey=4F1C0B2E-9A7D|apikey=***",
        "Authorization: Bearer eyJhbGciOi.x.y|Authorization: Bearer ***",
        "token: 'demo-admin-token'|token: '***'",
        "password=hunter2hunter2&ssl=true|password=***&ssl=true",
        "ALERT_WEBHOOK_SECRET=s3cr3t-value|ALERT_WEBHOOK_SECRET=***",
    })
    void secretsAreMasked(String message, String masked) throws Exception {
        assertThat(render(message)).isEqualTo(masked);
    }

    @Test
    void ordinaryMessagesAreUntouched() throws Exception {
        for (String message : new String[] {
            "instance 'acme': refresh failed: Evolution API refused the apikey (HTTP 401): check instance_token or"
                    + " EVOLUTION_API_KEY",
            "no apikey (instance_token is empty and EVOLUTION_API_KEY is not set)",
            "EVOLUTION_WEBHOOK_TOKEN is not set: POST /webhooks/evolution answers 403",
            "Alert qr_refresh_failures firing delivered to the webhook"}) {
            assertThat(render(message)).isEqualTo(message);
        }
    }

    @ParameterizedTest
    @CsvSource({"log-line.json, message", "ecs-line.json, message"})
    void jsonLinesMaskTheSameWay(String template, String field) throws Exception {
        org.apache.logging.log4j.layout.template.json.JsonTemplateLayout layout =
                org.apache.logging.log4j.layout.template.json.JsonTemplateLayout
                        .newBuilder().setConfiguration(new org.apache.logging.log4j.core.config.DefaultConfiguration())
                        .setEventTemplateUri("classpath:" + template).build();
        LogEvent event = Log4jLogEvent.newBuilder().setLevel(Level.INFO)
                .setMessage(new SimpleMessage("Authorization: Bearer eyJhbGciOi.x.y")).build();

        String line = layout.toSerializable(event);

        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().readTree(line).get(field).asText())
                .isEqualTo("Authorization: Bearer ***");
    }

    /** ECS puts custom keys under labels (keys without dots), never at the top level beside its own fields. */
    @Test
    void ecsLinesCarryTheRouteAndInstanceUnderLabels() throws Exception {
        org.apache.logging.log4j.layout.template.json.JsonTemplateLayout layout =
                org.apache.logging.log4j.layout.template.json.JsonTemplateLayout
                        .newBuilder().setConfiguration(new org.apache.logging.log4j.core.config.DefaultConfiguration())
                        .setEventTemplateUri("classpath:ecs-line.json").build();
        org.apache.logging.log4j.util.SortedArrayStringMap mdc = new org.apache.logging.log4j.util.SortedArrayStringMap();
        mdc.putValue("camel.routeId", "refresh-run");
        mdc.putValue("camel.exchangeId", "ABC-1");
        mdc.putValue("camel.contextId", "qr-refresher");
        mdc.putValue("instance", "acme");
        LogEvent event = Log4jLogEvent.newBuilder().setLevel(Level.INFO).setContextData(mdc)
                .setMessage(new SimpleMessage("Refresh run 1 (manual) succeeded")).build();

        com.fasterxml.jackson.databind.JsonNode line = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(layout.toSerializable(event));

        assertThat(line.at("/labels/route_id").asText()).isEqualTo("refresh-run");
        assertThat(line.at("/labels/instance").asText()).isEqualTo("acme");
        assertThat(line.at("/labels/exchange_id").asText()).isEqualTo("ABC-1");
        java.util.List<String> topLevel = new java.util.ArrayList<>();
        line.fieldNames().forEachRemaining(topLevel::add);
        assertThat(topLevel).doesNotContain("camel.routeId", "camel.exchangeId", "camel.contextId", "instance")
                .contains("@timestamp", "log.level", "message", "service.name", "labels");
    }

    private static String render(String message) throws Exception {
        Properties configuration = new Properties();
        try (InputStream in = LogMaskingTest.class.getResourceAsStream("/log4j2.properties")) {
            configuration.load(in);
        }
        String pattern = configuration.getProperty("appender.console.layout.pattern")
                .replaceFirst("^.*? - ", "").replace("%n", "");
        PatternLayout layout = PatternLayout.newBuilder().withPattern(pattern).build();
        LogEvent event = Log4jLogEvent.newBuilder().setLevel(Level.INFO).setMessage(new SimpleMessage(message))
                .build();
        return layout.toSerializable(event);
    }
}
