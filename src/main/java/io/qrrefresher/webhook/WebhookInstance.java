package io.qrrefresher.webhook;

import java.io.IOException;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;

/**
 * The instance a webhook names, read before anything else of the body: the top-level {@code "instance"} string, found
 * by streaming over the body without building it (no tree, no image, no map), so that a per-instance token can be
 * checked before the event is parsed. A body that names its instance twice, or not as a short string, names none.
 */
final class WebhookInstance {

    private static final JsonFactory JSON = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build()).build();

    private WebhookInstance() {
    }

    /** The instance name, or null when the body does not name exactly one (or is not a JSON object). */
    static String of(byte[] body) {
        if (body == null || body.length == 0) {
            return null;
        }
        String instance = null;
        try (JsonParser parser = JSON.createParser(body)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            JsonToken token;
            while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                JsonToken value = parser.nextToken();
                if ("instance".equals(field)) {
                    if (instance != null || value != JsonToken.VALUE_STRING
                            || parser.getTextLength() > WebhookEvents.MAX_INSTANCE_NAME_LENGTH) {
                        return null;
                    }
                    instance = parser.getText();
                } else {
                    parser.skipChildren();
                }
            }
            return token == JsonToken.END_OBJECT ? instance : null;
        } catch (IOException e) {
            return null;
        }
    }
}
