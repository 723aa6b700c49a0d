package io.qrrefresher.stream;

/**
 * Phone numbers as a person types them for "link with phone number instead": E.164 (country code, then the national
 * number; 8 to 15 digits, not starting with 0), with an optional leading {@code +} and the spaces, dots, dashes and
 * brackets people write. Evolution wants the bare digits. A number is personal data: logs show only its last 4 digits.
 */
public final class PhoneNumbers {

    static final int MIN_DIGITS = 8;
    static final int MAX_DIGITS = 15;

    private PhoneNumbers() {
    }

    /** The E.164 digits of {@code typed}, or null when it is not a phone number. */
    public static String e164Digits(String typed) {
        if (typed == null || typed.length() > 32) {
            return null;
        }
        String text = typed.strip();
        if (text.startsWith("+")) {
            text = text.substring(1);
        } else if (text.startsWith("00")) {
            text = text.substring(2);
        }
        StringBuilder digits = new StringBuilder();
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= '0' && c <= '9') {
                digits.append(c);
            } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
                return null;
            }
        }
        if (digits.length() < MIN_DIGITS || digits.length() > MAX_DIGITS || digits.charAt(0) == '0') {
            return null;
        }
        return digits.toString();
    }

    /** For logs: {@code …4321}. */
    public static String masked(String digits) {
        if (digits == null || digits.length() < 4) {
            return "…";
        }
        return "…" + digits.substring(digits.length() - 4);
    }
}
