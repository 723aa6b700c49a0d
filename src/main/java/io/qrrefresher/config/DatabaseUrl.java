package io.qrrefresher.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
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
        URI uri;
        try {
            uri = new URI(text);
        } catch (URISyntaxException e) {
            throw new InvalidSettingException(setting, "is not a valid URI (" + e.getReason() + ")");
        }
        if (uri.getHost() == null) {
            throw new InvalidSettingException(setting, "has no host");
        }
        String uriUser = null;
        String uriPassword = null;
        if (uri.getRawUserInfo() != null) {
            String[] parts = uri.getRawUserInfo().split(":", 2);
            uriUser = decode(parts[0]);
            uriPassword = parts.length > 1 ? decode(parts[1]) : null;
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

    private static String decode(String part) {
        return URLDecoder.decode(part, StandardCharsets.UTF_8);
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
