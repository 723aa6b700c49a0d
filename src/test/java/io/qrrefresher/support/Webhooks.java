package io.qrrefresher.support;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** Posts webhooks to the service as Evolution API does. */
public final class Webhooks {

    public static final String TOKEN = "webhook-token-5a7e";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final RunningService service;

    public Webhooks(RunningService service) {
        this.service = service;
    }

    /** A fixture, with its instance renamed and (when given) its date_time replaced. */
    public static String fixture(String name, String instance, Instant dateTime) throws Exception {
        ObjectNode body = (ObjectNode) JSON.readTree(Fixtures.bytes(name));
        body.put("instance", instance);
        if (body.path("data").isObject()) {
            ObjectNode data = (ObjectNode) body.get("data");
            if (data.has("instance")) {
                data.put("instance", instance);
            }
            if (data.path("qrcode").isObject()) {
                ((ObjectNode) data.get("qrcode")).put("instance", instance);
            }
        }
        if (dateTime != null) {
            body.put("date_time", dateTime.toString());
        }
        return JSON.writeValueAsString(body);
    }

    /**
     * A qrcode.updated webhook with the given code (and a real image of it), stamped {@code dateTime} in Evolution's
     * clock, or now when null (Evolution's local time: three hours behind UTC).
     */
    public static String qrEvent(String instance, String code, Instant dateTime) throws Exception {
        Instant stamp = dateTime != null ? dateTime : Instant.now().minus(Duration.ofHours(3));
        ObjectNode body = (ObjectNode) JSON.readTree(fixture("webhook-qrcode-updated.json", instance, stamp));
        ObjectNode qrcode = (ObjectNode) body.get("data").get("qrcode");
        qrcode.put("code", code);
        qrcode.put("base64", io.qrrefresher.evolution.QrImages.dataUrl(code));
        return JSON.writeValueAsString(body);
    }

    public HttpResponse<String> post(String body) throws Exception {
        return post("/webhooks/evolution?token=" + TOKEN, body, null);
    }

    public HttpResponse<String> post(String pathAndQuery, String body, String authorization) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(service.url(pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    public static JsonNode json(HttpResponse<String> response) throws Exception {
        return JSON.readTree(response.body());
    }

    /** An HS256 JWT as Evolution signs it for a webhook whose headers hold jwt_key. */
    public static String jwt(String secret, long expiresAtEpochSecond, String alg) throws Exception {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        String header = encoder.encodeToString(("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}")
                .getBytes(StandardCharsets.UTF_8));
        String claims = encoder.encodeToString(("{\"app\":\"evolution\",\"action\":\"webhook\",\"iat\":"
                + (expiresAtEpochSecond - 600) + ",\"exp\":" + expiresAtEpochSecond + "}").getBytes(StandardCharsets.UTF_8));
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String signature = encoder.encodeToString(mac.doFinal((header + "." + claims).getBytes(StandardCharsets.US_ASCII)));
        return header + "." + claims + "." + signature;
    }

}
