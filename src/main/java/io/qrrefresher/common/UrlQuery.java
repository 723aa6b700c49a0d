package io.qrrefresher.common;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Reads a value from a raw query string, as data: what the URL itself carries, never a header of the same name. */
public final class UrlQuery {

    private UrlQuery() {
    }

    /** The first value of {@code key} in {@code rawQuery} (decoded), or null. */
    public static String value(String rawQuery, String key) {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return null;
        }
        for (String pair : rawQuery.split("&")) {
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals));
            if (key.equals(name)) {
                return equals < 0 ? "" : decode(pair.substring(equals + 1));
            }
        }
        return null;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return text;
        }
    }
}
