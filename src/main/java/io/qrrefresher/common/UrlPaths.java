package io.qrrefresher.common;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** Text in URLs the service writes. */
public final class UrlPaths {

    private UrlPaths() {
    }

    /** {@code text} encoded as one URL path segment. */
    public static String segment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
