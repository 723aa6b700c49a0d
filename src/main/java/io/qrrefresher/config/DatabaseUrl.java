package io.qrrefresher.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;

/**
 * A PostgreSQL location given as a JDBC URL ({@code jdbc:postgresql://host:5432/db}) or as the URI that Supabase and
 * most hosts print ({@code postgresql://user:password@host:5432/db?sslmode=require}). Credentials embedded in the URI
 * are taken out of the JDBC URL so that the URL can be logged.
 */
public record DatabaseUrl(String jdbcUrl, String user, String password) {

    public static DatabaseUrl parse(String value, String user, String password) {
        return parse(Setting.DATABASE_URL, value, user, password);
    }

    /** Parses the URL held by {@code setting}; errors name that setting. */
    public static DatabaseUrl parse(Setting setting, String value, String user, String password) {
        String text = value.trim();
        if (text.startsWith("jdbc:postgresql:")) {
            return new DatabaseUrl(text, user, password);
        }
        if (!text.startsWith("postgres://") && !text.startsWith("postgresql://")) {
            throw new InvalidSettingException(setting,
                    "must start with jdbc:postgresql://, postgresql:// or postgres://");
        }
        // as libpq reads it: the credentials run from after the scheme to the first '@' (if one comes before any
        // '/'), user and password split at the first ':', and only %XX sequences are decoded ('+' is a plus sign,
        // and raw characters such as '#', '?', '!' or '^' are kept as they are)
        String rest = text.substring(text.indexOf("://") + 3);
        String uriUser = null;
        String uriPassword = null;
        int slash = rest.indexOf('/');
        int at = rest.indexOf('@');
        if (at >= 0 && (slash < 0 || at < slash)) {
            String userInfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userInfo.indexOf(':');
            uriUser = percentDecode(setting, colon < 0 ? userInfo : userInfo.substring(0, colon));
            uriPassword = colon < 0 ? null : percentDecode(setting, userInfo.substring(colon + 1));
            if (uriUser.isEmpty()) {
                uriUser = null;
            }
        }
        URI uri;
        try {
            uri = new URI("postgresql://" + rest);
        } catch (URISyntaxException e) {
            throw new InvalidSettingException(setting, "is not a valid URI after its credentials (" + e.getReason()
                    + ")");
        }
        if (uri.getHost() == null) {
            throw new InvalidSettingException(setting, "has no host");
        }
        StringBuilder jdbc = new StringBuilder("jdbc:postgresql://").append(uri.getHost());
        if (uri.getPort() > 0) {
            jdbc.append(':').append(uri.getPort());
        }
        jdbc.append(uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/postgres" : uri.getRawPath());
        if (uri.getRawQuery() != null) {
            jdbc.append('?').append(uri.getRawQuery());
        }
        return new DatabaseUrl(jdbc.toString(),
                user != null ? user : uriUser,
                password != null ? password : uriPassword);
    }

    /** %XX sequences only, as libpq decodes a URI (no '+' for a space). */
    private static String percentDecode(Setting setting, String part) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (c == '%') {
                if (i + 2 >= part.length() || Character.digit(part.charAt(i + 1), 16) < 0
                        || Character.digit(part.charAt(i + 2), 16) < 0) {
                    throw new InvalidSettingException(setting, "has a '%' in its user or password that is not"
                            + " followed by two hex digits (write a literal '%' as %25)");
                }
                bytes.write(Integer.parseInt(part.substring(i + 1, i + 3), 16));
                i += 2;
            } else {
                int end = part.indexOf('%', i);
                byte[] encoded = part.substring(i, end < 0 ? part.length() : end).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
                i = (end < 0 ? part.length() : end) - 1;
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    /** The host of the URL, or an empty string. */
    public String host() {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        return uri.getHost() == null ? "" : uri.getHost();
    }

    /** The port of the URL, 5432 when none is given. */
    public int port() {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        return uri.getPort() > 0 ? uri.getPort() : 5432;
    }

    /** The URL without any {@code password=} parameter, fit for logs and error messages. */
    public String redacted() {
        return jdbcUrl.replaceAll("(?i)(password=)[^&]*", "$1***");
    }

    @Override
    public String toString() {
        return redacted() + (user != null ? " as " + user : "");
    }
}
