package io.qrrefresher.access;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** The few primitives every credential check shares: Bearer parsing, constant-time comparison, HMAC-SHA256. */
public final class Secrets {

    private Secrets() {
    }

    /** The token of an {@code Authorization: Bearer <token>} header, or null. */
    public static String bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = authorization.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    /**
     * Compares in constant time over SHA-256 digests, so that neither the content nor the length of the expected
     * value leaks through timing.
     */
    public static boolean sameSecret(String candidate, String expected) {
        return candidate != null && expected != null && !expected.isEmpty()
                && MessageDigest.isEqual(sha256(candidate), sha256(expected));
    }

    public static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is part of every JVM", e);
        }
    }

    public static byte[] hmacSha256(String key, String message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return mac.doFinal(message.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JVM", e);
        }
    }

    /** HMAC-SHA256 as unpadded base64url, the form tokens carry. */
    public static String hmacBase64Url(String key, String message) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(hmacSha256(key, message));
    }

    /** HMAC-SHA256 as lower-case hex, the form easiest to compute in a shell or SQL. */
    public static String hmacHex(String key, String message) {
        StringBuilder hex = new StringBuilder(64);
        for (byte b : hmacSha256(key, message)) {
            hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return hex.toString();
    }
}
