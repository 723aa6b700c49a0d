package io.qrrefresher.evolution;

import java.util.Base64;
import java.util.regex.Pattern;

/**
 * What may be stored as a QR code and streamed to browsers: only a PNG data URL ({@code data:image/png;base64,}) whose
 * payload is strict base64, decodes to a PNG (signature, then an {@code IHDR} chunk) and stays within a size cap; and
 * a QR {@code code} string of bounded length made of the characters WhatsApp uses (base64, {@code @} and {@code ,});
 * and a phone-number pairing code of exactly 8 letters and digits.
 * Anything else, from Evolution's replies or from webhooks, is refused with a reason and never stored.
 */
public final class QrContent {

    public static final String PNG_DATA_URL_PREFIX = "data:image/png;base64,";
    /** Real QR code strings are about 240 characters; a QR at correction level H cannot hold much more than 1 200. */
    public static final int MAX_CODE_LENGTH = 1024;

    /** What WhatsApp shows on the phone after "Link with phone number" (Baileys: 8 Crockford base32 characters). */
    private static final Pattern PHONE_PAIRING_CODE = Pattern.compile("[A-Z0-9]{8}");
    private static final Pattern CODE = Pattern.compile("[A-Za-z0-9@,+/=_.:-]+");
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    /** The image to store, or why there is none. {@code reason} is a short metric label. */
    public record Verdict(String image, String reason, String problem) {
        public boolean accepted() {
            return image != null;
        }

        static Verdict refused(String reason, String problem) {
            return new Verdict(null, reason, problem);
        }
    }

    private final int maxImageChars;

    /** @param maxImageChars the largest data URL accepted (QR_MAX_IMAGE_BYTES); real QRs are 10–20 KB */
    public QrContent(int maxImageChars) {
        this.maxImageChars = maxImageChars;
    }

    /**
     * The image for a QR Evolution sent as {@code code} and, optionally, {@code base64}: the checked {@code base64}
     * when present, otherwise the code rendered as a PNG.
     */
    public Verdict imageFor(String code, String base64) {
        String codeProblem = codeProblem(code);
        if (codeProblem != null) {
            return Verdict.refused("bad_code", codeProblem);
        }
        if (base64 == null || base64.isEmpty()) {
            return new Verdict(QrImages.dataUrl(code), null, null);
        }
        String imageProblem = imageProblem(base64);
        return imageProblem == null ? new Verdict(base64, null, null) : Verdict.refused("bad_image", imageProblem);
    }

    /**
     * The phone-number pairing code in {@code candidate} (upper case, without the dash some clients add), or null
     * when it is not one: only 8 letters and digits ever reach the database or a browser.
     */
    public static String phonePairingCode(String candidate) {
        if (candidate == null || candidate.length() > 16) {
            return null;
        }
        String code = candidate.replace("-", "").toUpperCase(java.util.Locale.ROOT);
        return PHONE_PAIRING_CODE.matcher(code).matches() ? code : null;
    }

    /** Why {@code code} is not a QR code string, or null when it is one. */
    public static String codeProblem(String code) {
        if (code == null || code.isEmpty()) {
            return "the QR code string is empty";
        }
        if (code.length() > MAX_CODE_LENGTH) {
            return "the QR code string has " + code.length() + " characters (at most " + MAX_CODE_LENGTH + ")";
        }
        if (!CODE.matcher(code).matches()) {
            return "the QR code string holds characters a WhatsApp pairing code never has";
        }
        return null;
    }

    /** Why {@code dataUrl} is not a PNG data URL within the cap, or null when it is one. */
    public String imageProblem(String dataUrl) {
        if (dataUrl.length() > maxImageChars) {
            return "the QR image has " + dataUrl.length() + " characters (QR_MAX_IMAGE_BYTES is " + maxImageChars + ")";
        }
        if (!dataUrl.startsWith(PNG_DATA_URL_PREFIX)) {
            return "the QR image is not a data:image/png;base64, URL";
        }
        String payload = dataUrl.substring(PNG_DATA_URL_PREFIX.length());
        if (!isStrictBase64(payload)) {
            return "the QR image's payload is not base64";
        }
        byte[] png = Base64.getDecoder().decode(payload);
        if (png.length < 16 || !startsWith(png, PNG_SIGNATURE) || png[12] != 'I' || png[13] != 'H' || png[14] != 'D'
                || png[15] != 'R') {
            return "the QR image's payload is not a PNG";
        }
        return null;
    }

    /** Standard alphabet, padded, nothing else (no whitespace, no URL-safe characters). */
    private static boolean isStrictBase64(String text) {
        int length = text.length();
        if (length == 0 || length % 4 != 0) {
            return false;
        }
        int padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
        for (int i = 0; i < length - padding; i++) {
            char c = text.charAt(i);
            boolean valid = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+'
                    || c == '/';
            if (!valid) {
                return false;
            }
        }
        return true;
    }

    private static boolean startsWith(byte[] bytes, byte[] prefix) {
        for (int i = 0; i < prefix.length; i++) {
            if (bytes[i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
