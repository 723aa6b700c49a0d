package io.qrrefresher.evolution;

import java.util.regex.Pattern;

/**
 * What may be stored as a QR code and streamed to browsers. A stored QR is a QR of its code by construction: the image
 * is always rendered here from Evolution's {@code code} ({@link QrImages}), and the image Evolution sends beside it
 * ({@code base64}) is never decoded, checked or stored. A hostile or broken image (1×1, a 30000×30000 header, another
 * picture) therefore cannot reach a browser, and no image from outside is ever decoded. The {@code code} itself must be
 * of bounded length and made of the characters WhatsApp uses (base64, {@code @} and {@code ,}); a phone-number
 * pairing code must be exactly 8 letters and digits. Anything else is refused with a reason and never stored.
 */
public final class QrContent {

    public static final String PNG_DATA_URL_PREFIX = "data:image/png;base64,";
    /** Real QR code strings are about 240 characters; a QR at correction level H cannot hold much more than 1 200. */
    public static final int MAX_CODE_LENGTH = 1024;

    /** What WhatsApp shows on the phone after "Link with phone number" (Baileys: 8 Crockford base32 characters). */
    private static final Pattern PHONE_PAIRING_CODE = Pattern.compile("[A-Z0-9]{8}");
    private static final Pattern CODE = Pattern.compile("[A-Za-z0-9@,+/=_.:-]+");

    /** The image to store, or why there is none. {@code reason} is a short metric label. */
    public record Verdict(String image, String reason, String problem) {
        public boolean accepted() {
            return image != null;
        }

        static Verdict refused(String reason, String problem) {
            return new Verdict(null, reason, problem);
        }
    }

    private final java.util.concurrent.atomic.LongAdder rendered = new java.util.concurrent.atomic.LongAdder();

    public QrContent() {
    }

    /** How many images were rendered: work done only for authenticated events and Evolution's own replies. */
    public long rendered() {
        return rendered.sum();
    }

    /**
     * The image for a QR Evolution sent as {@code code}: the code rendered as a PNG data URL. Evolution's own
     * {@code base64} is not used (see the class comment).
     */
    public Verdict imageFor(String code) {
        String codeProblem = codeProblem(code);
        if (codeProblem != null) {
            return Verdict.refused("bad_code", codeProblem);
        }
        rendered.increment();
        return new Verdict(QrImages.dataUrl(code), null, null);
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
}
