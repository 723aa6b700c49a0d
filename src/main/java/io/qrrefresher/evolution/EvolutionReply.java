package io.qrrefresher.evolution;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.common.Failures;

/**
 * One answer of Evolution API to {@code connectionState} or {@code connect}, classified by its shape rather than by
 * its HTTP status, because Evolution answers 200 for several failures (Evolution API v2, as recorded in src/test/resources/evolution).
 */
public record EvolutionReply(Kind kind, int httpStatus, String state, String qrCode, String qrBase64, Integer qrCount,
                             String problem, String pairingCode) {

    public enum Kind {
        /** {@code {"instance":{"instanceName":..,"state":..}}}; {@link #state} is null when the instance is not loaded. */
        STATE,
        /**
         * {@code {"pairingCode":..,"code":..,"base64":..,"count":n}} with a code; {@link #pairingCode} is the checked
         * phone-number pairing code, or null in QR mode (and when what came is not one).
         */
        QR,
        /** {@code {"count":0}}: no QR generated yet. Not a failure. */
        NO_QR_YET,
        /** 404 for the instance (it does not exist in Evolution API). */
        NOT_FOUND,
        /** 401: the apikey was refused. */
        UNAUTHORIZED,
        /** 503 {@code {"code":"LICENSE_REQUIRED"}}: the server stands behind Evolution 2.4's licence gate. */
        LICENCE_REQUIRED,
        /** Anything else that is a failure: 200 {"error":true}, an empty body, other 4xx, unknown shapes, HTML. */
        FAILURE
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SNIPPET = 120;

    public boolean isFailure() {
        return kind == Kind.NOT_FOUND || kind == Kind.UNAUTHORIZED || kind == Kind.LICENCE_REQUIRED
                || kind == Kind.FAILURE;
    }

    public static EvolutionReply failure(int httpStatus, String problem) {
        return new EvolutionReply(Kind.FAILURE, httpStatus, null, null, null, null, problem, null);
    }

    /** What a server behind Evolution 2.4's licence gate answers to every call, and what to do about it. */
    public static final String LICENCE_REQUIRED = "the Evolution server is not activated (HTTP 503 LICENSE_REQUIRED):"
            + " activate its licence in its manager (/manager/login) or set its AUTHENTICATION_API_KEY to a valid"
            + " licensing key; calls resume once it is";

    /** A 503 {@code {"code":"LICENSE_REQUIRED"}}: Evolution 2.4's licence gate, before any authentication. */
    static boolean isLicenceGate(int httpStatus, JsonNode json) {
        return httpStatus == 503 && json != null && "LICENSE_REQUIRED".equals(json.path("code").asText());
    }

    public static EvolutionReply parse(int httpStatus, String contentType, byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).trim();
        JsonNode json = null;
        if (!text.isEmpty()) {
            try {
                json = JSON.readTree(text);
            } catch (JsonProcessingException e) {
                json = null;
            }
        }
        if (httpStatus == 401) {
            return new EvolutionReply(Kind.UNAUTHORIZED, 401, null, null, null, null,
                    "Evolution API refused the apikey (HTTP 401): check instance_token or EVOLUTION_API_KEY", null);
        }
        if (httpStatus == 404) {
            String message = envelopeMessage(json);
            if (message.startsWith("Cannot ")) {
                return failure(404, "Evolution API has no such route (" + message
                        + "): check EVOLUTION_API_BASE_URL and the Evolution API version");
            }
            return new EvolutionReply(Kind.NOT_FOUND, 404, null, null, null, null,
                    "instance does not exist in Evolution API (HTTP 404)", null);
        }
        if (isLicenceGate(httpStatus, json)) {
            // its body names the server's licensing page and id: neither is echoed
            return new EvolutionReply(Kind.LICENCE_REQUIRED, httpStatus, null, null, null, null, LICENCE_REQUIRED,
                    null);
        }
        if (httpStatus < 200 || httpStatus > 299) {
            String message = envelopeMessage(json);
            return failure(httpStatus, "Evolution API answered HTTP " + httpStatus
                    + (message.isEmpty() ? "" : ": " + message));
        }
        if (text.isEmpty()) {
            return failure(httpStatus, "Evolution API answered HTTP " + httpStatus
                    + " with an empty body (instance not loaded, or its socket failed to start)");
        }
        if (json == null || !json.isObject()) {
            return failure(httpStatus, "Evolution API answered HTTP " + httpStatus + " with a body that is not a JSON object"
                    + (contentType == null ? "" : " (" + contentType + ")") + ": " + snippet(text));
        }
        return parseObject(httpStatus, json);
    }

    private static EvolutionReply parseObject(int httpStatus, JsonNode json) {
        if (json.path("error").isBoolean() && json.path("error").asBoolean()) {
            String message = json.path("message").asText("");
            return failure(httpStatus, "Evolution API answered HTTP " + httpStatus + " with {\"error\":true}"
                    + (message.isEmpty() ? "" : ": " + snippet(message)));
        }
        if (json.path("instance").isObject()) {
            JsonNode state = json.path("instance").path("state");
            return new EvolutionReply(Kind.STATE, httpStatus, state.isTextual() ? state.asText() : null,
                    null, null, null, null, null);
        }
        if (json.has("count") || json.has("code")) {
            JsonNode count = json.path("count");
            Integer qrCount = count.canConvertToInt() ? count.asInt() : null;
            String code = json.path("code").isTextual() ? json.path("code").asText() : "";
            if (code.isBlank()) {
                return new EvolutionReply(Kind.NO_QR_YET, httpStatus, null, null, null, qrCount, null, null);
            }
            String base64 = json.path("base64").isTextual() ? json.path("base64").asText() : null;
            String pairingCode = json.path("pairingCode").isTextual()
                    ? QrContent.phonePairingCode(json.path("pairingCode").asText()) : null;
            return new EvolutionReply(Kind.QR, httpStatus, null, code, base64, qrCount, null, pairingCode);
        }
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        return failure(httpStatus, "Evolution API answered HTTP " + httpStatus + " with an unrecognised JSON shape, keys "
                + snippet(keys.toString()));
    }

    /** The {@code response.message} of Evolution's error envelope, which is a string or an array of strings. */
    private static String envelopeMessage(JsonNode json) {
        if (json == null) {
            return "";
        }
        JsonNode message = json.path("response").path("message");
        if (message.isMissingNode()) {
            message = json.path("message");
        }
        if (message.isArray()) {
            List<String> parts = new ArrayList<>();
            message.forEach(part -> parts.add(part.asText()));
            return snippet(String.join("; ", parts));
        }
        return message.isValueNode() ? snippet(message.asText()) : "";
    }

    /** A short, single-line excerpt of text that came from outside, safe to log. */
    static String snippet(String text) {
        return Failures.printable(text, SNIPPET);
    }
}
