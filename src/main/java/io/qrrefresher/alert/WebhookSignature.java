package io.qrrefresher.alert;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.HexFormat;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code X-Alert-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<exact body>">}, as Stripe signs its
 * webhooks: the timestamp is signed with the body, so a receiver that refuses a {@code t} older than its tolerance
 * (five minutes, say) cannot be fed a captured alert again. Signed at each attempt: a retry has a fresh {@code t}.
 */
public final class WebhookSignature {

    public static final String HEADER = "X-Alert-Signature";

    private WebhookSignature() {
    }

    public static String sign(String secret, Instant at, byte[] body) {
        long t = at.getEpochSecond();
        return "t=" + t + ",v1=" + HexFormat.of().formatHex(hmac(secret, t, body));
    }

    private static byte[] hmac(String secret, long t, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JVM", e);
        }
    }
}
