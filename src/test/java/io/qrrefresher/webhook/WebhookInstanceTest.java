package io.qrrefresher.webhook;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The instance a webhook names, read before anything else of it: exactly one top-level string, or none. */
class WebhookInstanceTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            Evolution's envelope                  | {"event":"qrcode.updated","instance":"shop","data":{"qrcode":{"code":"2@x"}}} | shop
            instance after the data               | {"data":{"instance":"nested"},"instance":"shop"}                            | shop
            only nested                           | {"data":{"instance":"nested"}}                                              | -
            twice (the parser would keep the last) | {"instance":"shop","instance":"victim"}                                     | -
            not a string                          | {"instance":{"name":"shop"}}                                                | -
            not an object                         | ["instance","shop"]                                                         | -
            truncated                             | {"instance":"shop","data":{                                                  | -
            not JSON                              | instance=shop                                                               | -
            empty                                 | ''                                                                          | -
            """)
    void theInstanceNamed(String label, String body, String instance) {
        assertThat(WebhookInstance.of(body.getBytes(StandardCharsets.UTF_8))).isEqualTo(instance);
    }

    @org.junit.jupiter.api.Test
    void aNameLongerThanAnyInstanceNameIsNone() {
        String body = "{\"instance\":\"" + "a".repeat(WebhookEvents.MAX_INSTANCE_NAME_LENGTH + 1) + "\"}";

        assertThat(WebhookInstance.of(body.getBytes(StandardCharsets.UTF_8))).isNull();
    }
}
