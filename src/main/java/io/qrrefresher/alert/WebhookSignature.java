package io.qrrefresher.alert;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
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

    /**
     * What a receiver does (and the tests, as one): the header's {@code v1} is the HMAC of {@code t} and the body, and
     * {@code t} is within {@code tolerance} of {@code now}.
     */
    public static boolean verify(String secret, String header, byte[] body, Instant now, Duration tolerance) {
        if (header == null) {
            return false;
        }
        Long t = null;
        byte[] v1 = null;
        for (String part : header.split(",")) {
            String[] pair = part.trim().split("=", 2);
            if (pair.length != 2) {
                continue;
            }
            try {
                if (pair[0].equals("t")) {
                    t = Long.parseLong(pair[1]);
                } else if (pair[0].equals("v1")) {
                    v1 = HexFormat.of().parseHex(pair[1]);
                }
            } catch (IllegalArgumentException e) {
                return false;
            }
        }
        return t != null && v1 != null && Math.abs(now.getEpochSecond() - t) <= tolerance.toSeconds()
                && MessageDigest.isEqual(hmac(secret, t, body), v1);
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
