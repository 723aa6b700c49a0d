package io.qrrefresher.api;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

final class UrlPaths {

    private UrlPaths() {
    }

    /** {@code text} encoded as one URL path segment. */
    static String segment(String text) {
        return URLEncoder.encode(text, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
