package io.qrrefresher.link;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.FormatStyle;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.access.LinkTokens;
import io.qrrefresher.common.JsonAnswer;
import io.qrrefresher.common.Languages;
import io.qrrefresher.config.Settings;

/**
 * Link pages: what an operator sends the person who must link their WhatsApp. {@code POST /instances/{name}/link}
 * makes one ({@link #request}, {@link #mint}, {@link #made}); {@code GET /link/<token>} serves its page
 * ({@link #check}, then {@link #page} with the link's row, or {@link #refusal} for a token that is not valid or
 * expired); {@code DELETE /instances/{name}/link} revokes every link of the instance ({@link #revoked}).
 * A page is mobile-first and self-contained: the product's name and logo, the live QR with its countdown, "get a new
 * code", the pairing-code flow (first, on a phone), and its end states, in the person's language ({@link Languages}).
 * An HTML page goes to a browser (Accept: text/html); any other client gets the same answer as JSON.
 */
public final class LinkPages {

    public static final String SCRIPT_PATH = "/link-page.js";
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LinkPages.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Requests are read strictly: a key given twice, or anything after the object, is an error, not a guess. */
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final int MAX_BODY = 4096;
    private static final int MAX_RETURN_URL = 2048;
    private static final Set<String> FIELDS = Set.of("ttl_seconds", "lang", "return_url", "phone_link");
    private static final Pattern HOST = Pattern.compile("[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?|\\[[0-9A-Fa-f:.]{2,45}\\](:[0-9]{1,5})?");

    /** A request for a link, read from the optional body; {@code refusal} is the 400 to send, when it is one. */
    public record LinkRequest(JsonAnswer refusal, long ttlSeconds, String lang, String returnUrl, boolean phoneLink) {
    }

    /** A link made: its id, its token and when it expires (what the route stores and answers). */
    public record NewLink(String linkId, String token, Timestamp expiresAt) {
    }

    /** A page or its JSON twin, with its status and the policy that confines it. */
    public record Page(int status, String contentType, String body, String contentSecurityPolicy) {
    }

    private final LinkTokens tokens;
    private final Languages languages;
    private final Settings.LinkPage settings;
    private final Supplier<String> widgetVersion;
    private final Clock clock;
    private final String script;
    private final String scriptVersion;

    public LinkPages(LinkTokens tokens, Languages languages, Settings.LinkPage settings, Supplier<String> widgetVersion,
                     Clock clock) {
        this.tokens = tokens;
        this.languages = languages;
        this.settings = settings;
        this.widgetVersion = widgetVersion;
        this.clock = clock;
        this.script = resource("/link/link-page.js");
        this.scriptVersion = Integer.toHexString(script.hashCode());
    }

    /** {@code GET /link-page.js}: the page's own script (a file, so that the page's policy forbids inline scripts). */
    public String script() {
        return script;
    }

    /**
     * The body of {@code POST /instances/{name}/link}, optional: {@code ttl_seconds} (60 s to 7 days, default 24 h),
     * {@code lang} (one of the languages there are; default: the person's browser), {@code return_url} (an http(s)
     * URL the page goes to once linked) and {@code phone_link} (false: QR only).
     */
    public LinkRequest request(String contentType, String body) {
        long ttl = LinkTokens.DEFAULT_LIFETIME.toSeconds();
        if (!tokens.isEnabled()) {
            return refused(409, "viewer_tokens_disabled", "set VIEWER_TOKEN_SECRET (32+ characters) to make links");
        }
        if (contentType != null && !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return refused(415, "unsupported_media_type", "send the options as JSON (Content-Type: application/json),"
                    + " or no body for the defaults");
        }
        if (body == null || body.isBlank()) {
            return new LinkRequest(null, ttl, null, null, true);
        }
        if (body.length() > MAX_BODY) {
            return refused(400, "bad_request", "the body is larger than 4 KiB");
        }
        JsonNode json;
        try {
            json = STRICT.readTree(body);
        } catch (JsonProcessingException e) {
            String why = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
            String problem = why.startsWith("Duplicate field") ? "a field is given twice"
                    : why.contains("Trailing token") ? "something follows the JSON object" : "the body is not JSON";
            return refused(400, "bad_request", problem + ": send {\"ttl_seconds\": 86400, \"lang\": \"pt-BR\","
                    + " \"return_url\": \"https://app.example.com/done\", \"phone_link\": true}, every field optional");
        }
        if (json == null || !json.isObject()) {
            return refused(400, "bad_request", "the body must be a JSON object");
        }
        var names = json.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                return refused(400, "bad_request", "unknown field '" + printable(name)
                        + "': the fields are ttl_seconds, lang, return_url and phone_link");
            }
        }
        JsonNode ttlNode = json.path("ttl_seconds");
        if (!ttlNode.isMissingNode() && !ttlNode.isNull()) {
            if (!ttlNode.canConvertToLong() || !ttlNode.isIntegralNumber()
                    || ttlNode.asLong() < LinkTokens.MIN_LIFETIME.toSeconds()
                    || ttlNode.asLong() > LinkTokens.MAX_LIFETIME.toSeconds()) {
                return refused(400, "bad_request", "ttl_seconds must be a whole number of seconds from "
                        + LinkTokens.MIN_LIFETIME.toSeconds() + " to " + LinkTokens.MAX_LIFETIME.toSeconds()
                        + " (7 days)");
            }
            ttl = ttlNode.asLong();
        }
        String lang = null;
        JsonNode langNode = json.path("lang");
        if (!langNode.isMissingNode() && !langNode.isNull()) {
            lang = langNode.isTextual() ? languages.find(langNode.asText()).orElse(null) : null;
            if (lang == null) {
                return refused(400, "bad_request", "lang must be one of " + String.join(", ", languages.tags())
                        + " (or left out: the person's browser decides)");
            }
        }
        String returnUrl = null;
        JsonNode returnNode = json.path("return_url");
        if (!returnNode.isMissingNode() && !returnNode.isNull()) {
            String problem = returnNode.isTextual() ? returnUrlProblem(returnNode.asText()) : "must be a string";
            if (problem != null) {
                return refused(400, "bad_request", "return_url " + problem);
            }
            returnUrl = returnNode.asText();
        }
        JsonNode phoneNode = json.path("phone_link");
        if (!phoneNode.isMissingNode() && !phoneNode.isNull() && !phoneNode.isBoolean()) {
            return refused(400, "bad_request", "phone_link must be true or false");
        }
        return new LinkRequest(null, ttl, lang, returnUrl, !phoneNode.isBoolean() || phoneNode.asBoolean());
    }

    private static LinkRequest refused(int status, String error, String message) {
        return new LinkRequest(JsonAnswer.error(status, error, message), 0, null, null, true);
    }

    static String returnUrlProblem(String value) {
        if (value.length() > MAX_RETURN_URL) {
            return "is longer than 2048 characters";
        }
        try {
            URI uri = new URI(value);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!"https".equals(scheme) && !"http".equals(scheme)) {
                return "must be an http:// or https:// URL";
            }
            if (uri.getHost() == null) {
                return "has no host";
            }
            if (uri.getRawUserInfo() != null) {
                return "must not contain credentials (user:password@)";
            }
            return null;
        } catch (URISyntaxException e) {
            return "is not a valid URL (" + e.getReason() + ")";
        }
    }

    /** A new link for {@code name}, valid for the requested time from now. */
    public NewLink mint(String name, LinkRequest request) {
        Instant expiresAt = clock.instant().plus(Duration.ofSeconds(request.ttlSeconds())).truncatedTo(
                java.time.temporal.ChronoUnit.SECONDS);
        LinkTokens.Minted minted = tokens.mint(name, expiresAt);
        return new NewLink(minted.linkId(), minted.token(), Timestamp.from(expiresAt));
    }

    /**
     * The answer to {@code POST /instances/{name}/link}: the link's URL (under PUBLIC_URL, else the address the
     * operator's request named in {@code host}), when it expires, and what the page will do.
     */
    public JsonAnswer made(String name, LinkRequest request, NewLink link, String host) {
        String base;
        String warning = null;
        if (settings.publicUrl().isPresent()) {
            String url = settings.publicUrl().get().toString();
            base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        } else if (host != null && HOST.matcher(host).matches()) {
            base = "http://" + host;
            if (!host.matches("(?i)localhost(:[0-9]+)?|[0-9.]+(:[0-9]+)?|\\[.*\\](:[0-9]+)?")) {
                warning = "PUBLIC_URL is not set: on a domain name the page's 'get a new code' and pairing code are"
                        + " refused (its origin is not known to be the service's own) until PUBLIC_URL names the address"
                        + " your customers reach, such as https://" + host;
            }
        } else {
            return JsonAnswer.error(400, "bad_request", "set PUBLIC_URL (the service's address as your customers reach"
                    + " it): this request names no usable Host");
        }
        // the link's id, never its token: whoever reads the log cannot open the page
        LOG.info("Link page made for instance '{}': link {}, until {}{}", io.qrrefresher.common.Failures.printable(name,
                64), link.linkId(), link.expiresAt().toInstant(), request.lang() == null ? "" : ", in " + request.lang());
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance_name", name);
        body.put("url", base + "/link/" + link.token());
        body.put("expires_at", link.expiresAt().toInstant().toString());
        body.put("link_id", link.linkId());
        body.put("lang", request.lang());
        body.put("return_url", request.returnUrl());
        body.put("phone_link", request.phoneLink());
        body.put("revoke", "DELETE /instances/" + io.qrrefresher.common.UrlPaths.segment(name) + "/link");
        if (warning != null) {
            body.put("warning", warning);
        }
        return JsonAnswer.ok(body);
    }

    /** The answer to {@code DELETE /instances/{name}/link}: how many live links were revoked. */
    public JsonAnswer revoked(String name, int count) {
        LOG.info("Link pages of instance '{}' revoked: {}", io.qrrefresher.common.Failures.printable(name, 64), count);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("instance_name", name);
        body.put("revoked", count);
        body.put("message", count == 0 ? "this instance had no live link" : "its pages now say the link is no longer"
                + " valid; open pages stop showing the code within seconds");
        return JsonAnswer.ok(body);
    }

    /** {@code GET /link/<token>}: what the token is, by its signature and expiry alone (no database). */
    public LinkTokens.Check check(String token) {
        return tokens.check(token, clock.instant());
    }

    /**
     * The answer to a token that opens nothing without a row: not a link of this service (401) or expired (410).
     */
    public Page refusal(LinkTokens.Check check, String acceptLanguage, String accept) {
        String lang = languages.choose(null, acceptLanguage);
        if (check.verdict() == LinkTokens.Verdict.EXPIRED) {
            return ended(410, "link_expired", "pageExpired", lang, check.expiresAt(), accept,
                    "this link expired on " + check.expiresAt() + "; ask for a new one");
        }
        return ended(401, "link_invalid", "pageInvalid", lang, null, accept,
                "this is not a valid link of this service (cut or altered?); ask for a new one");
    }

    /**
     * {@code GET /link/<token>} for a signed, unexpired token, with the row the route read: the link
     * ({@code link_id}, {@code lang}, {@code return_url}, {@code phone_link}, {@code revoked}, {@code expires_at}) and
     * whether the instance it was made for is still that row ({@code same_row}); null when there is no such link.
     */
    public Page page(LinkTokens.Check check, String token, Map<String, Object> row, String acceptLanguage,
                     String accept, String path) {
        if (row == null && check.verdict() == LinkTokens.Verdict.EXPIRED) {
            // its row went (a day after it expired): the token still says when it ended
            return refusal(check, acceptLanguage, accept);
        }
        if (row == null) {
            return refusal(new LinkTokens.Check(LinkTokens.Verdict.INVALID, null, null, null), acceptLanguage, accept);
        }
        String lang = languages.choose((String) row.get("lang"), acceptLanguage);
        if (check.verdict() == LinkTokens.Verdict.EXPIRED) {
            return ended(410, "link_expired", "pageExpired", lang, check.expiresAt(), accept,
                    "this link expired on " + check.expiresAt() + "; ask for a new one");
        }
        if (Boolean.TRUE.equals(row.get("revoked"))) {
            return ended(410, "link_revoked", "pageRevoked", lang, null, accept,
                    "this link was revoked; ask for a new one");
        }
        if (!Boolean.TRUE.equals(row.get("same_row"))) {
            return ended(410, "instance_gone", "pageDeleted", lang, null, accept,
                    "the WhatsApp connection this link was made for no longer exists");
        }
        if (!wantsHtml(accept)) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("success", true);
            body.put("instance_name", check.instanceName());
            body.put("expires_at", check.expiresAt().toString());
            body.put("lang", lang);
            body.put("stream_path", "/instances/" + io.qrrefresher.common.UrlPaths.segment(check.instanceName())
                    + "/qr/stream?token=" + token);
            return new Page(200, "application/json", json(body), null);
        }
        Map<String, String> t = languages.texts(lang);
        String product = settings.title().orElse(null);
        String returnUrl = (String) row.get("return_url");
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("returnUrl", returnUrl);
        // the page's scripts and stream, relative to it (/link/<token>, or /link/<token>/ as some mail apps write it)
        String up = path != null && path.endsWith("/") ? "../../" : "../";
        StringBuilder html = new StringBuilder(4096);
        head(html, lang, product != null ? product + " · " + t.get("pageTitle") : t.get("pageTitle"));
        html.append("<main>\n");
        header(html, product, t.get("pageTitle"));
        if (product != null) {
            html.append("<p class=\"intro\">").append(escape(Languages.fill(t.get("pageIntro"),
                    Map.of("product", product)))).append("</p>\n");
        }
        boolean phoneLink = !Boolean.FALSE.equals(row.get("phone_link"));
        html.append("<whatsapp-qr instance=\"").append(escape(check.instanceName())).append("\" token=\"")
                .append(escape(token)).append("\" lang=\"").append(escape(lang)).append("\" server=\"")
                .append(up, 0, up.length() - 1).append("\" start=\"auto\"")
                .append(phoneLink ? "" : " phone-link=\"off\"").append("></whatsapp-qr>\n");
        html.append("<section class=\"done\" hidden><p>").append(escape(t.get("pageDone"))).append("</p>");
        if (returnUrl != null) {
            html.append("<a class=\"continue\" href=\"").append(escape(returnUrl)).append("\">")
                    .append(escape(t.get("pageContinue"))).append("</a>");
        }
        html.append("</section>\n<noscript><p>").append(escape(t.get("pageNoScript"))).append("</p></noscript>\n");
        html.append("</main>\n<script type=\"application/json\" id=\"link-config\">")
                .append(json(config).replace("<", "\\u003c")).append("</script>\n");
        // relative to the page (/link/<token>), so that the page works under a proxy's prefix (PUBLIC_URL with a path)
        html.append("<script type=\"module\" src=\"").append(up).append("widget/whatsapp-qr.js?v=")
                .append(widgetVersion.get()).append("\"></script>\n<script type=\"module\" src=\"")
                .append(up, 0, up.length() - 1).append(SCRIPT_PATH).append("?v=")
                .append(scriptVersion).append("\"></script>\n</body>\n</html>\n");
        return new Page(200, "text/html; charset=utf-8", html.toString(), policy());
    }

    private Page ended(int status, String error, String titleKey, String lang, Instant expiredAt, String accept,
                       String message) {
        if (!wantsHtml(accept)) {
            return new Page(status, "application/json", JsonAnswer.error(status, error, message).json(), null);
        }
        Map<String, String> t = languages.texts(lang);
        StringBuilder html = new StringBuilder(2048);
        String product = settings.title().orElse(null);
        head(html, lang, t.get(titleKey));
        html.append("<main class=\"ended\" data-reason=\"").append(error).append("\">\n");
        header(html, product, t.get(titleKey));
        if (expiredAt != null) {
            String date = DateTimeFormatter.ofLocalizedDateTime(FormatStyle.MEDIUM)
                    .withLocale(Locale.forLanguageTag(lang)).withZone(ZoneOffset.UTC).format(expiredAt) + " UTC";
            html.append("<p>").append(escape(Languages.fill(t.get("pageExpiredAt"), Map.of("date", date))))
                    .append("</p>\n");
        }
        String ask = settings.contact().map(contact -> Languages.fill(t.get("pageAskContact"), Map.of("contact",
                contact))).orElse(t.get("pageAskSender"));
        html.append("<p class=\"ask\">").append(escape(ask)).append("</p>\n</main>\n</body>\n</html>\n");
        return new Page(status, "text/html; charset=utf-8", html.toString(), policy());
    }

    private void head(StringBuilder html, String lang, String title) {
        html.append("<!doctype html>\n<html lang=\"").append(escape(lang)).append("\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta name=\"robots\" content=\"noindex, nofollow\">\n<meta name=\"referrer\" content=\"no-referrer\">\n")
                .append("<link rel=\"icon\" href=\"../favicon.ico\">\n")
                .append("<title>").append(escape(title)).append("</title>\n<style>").append(STYLE).append("</style>\n")
                .append("</head>\n<body>\n");
    }

    private void header(StringBuilder html, String product, String title) {
        html.append("<header>");
        settings.logoUrl().ifPresent(logo -> html.append("<img class=\"logo\" src=\"").append(escape(logo.toString()))
                .append("\" alt=\"").append(escape(product == null ? "" : product)).append("\">"));
        if (product != null) {
            html.append("<p class=\"product\">").append(escape(product)).append("</p>");
        }
        html.append("<h1>").append(escape(title)).append("</h1></header>\n");
    }

    /** What the page may load: its own scripts and stream, inline styles (the widget's), its logo. */
    private String policy() {
        String logo = settings.logoUrl().map(uri -> " " + uri.getScheme() + "://" + uri.getRawAuthority()).orElse("");
        return "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src data: 'self'" + logo
                + "; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
    }

    static boolean wantsHtml(String accept) {
        return accept != null && accept.length() < 1024 && accept.toLowerCase(Locale.ROOT).contains("text/html");
    }

    static String escape(String text) {
        StringBuilder out = new StringBuilder(text.length() + 16);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '<' -> out.append("&lt;");
                case '>' -> out.append("&gt;");
                case '&' -> out.append("&amp;");
                case '"' -> out.append("&quot;");
                case '\'' -> out.append("&#39;");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static String printable(String text) {
        String cut = text.length() > 40 ? text.substring(0, 40) + "…" : text;
        return cut.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String resource(String path) {
        try (InputStream in = LinkPages.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException(path.substring(1) + " is missing from the jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final String STYLE = """
            :root { color-scheme: light; }
            * { box-sizing: border-box; }
            body { margin: 0; font: 16px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111;
              background: #eef2ef; }
            main { max-width: 440px; margin: 0 auto; padding: 20px 16px 32px; text-align: center; }
            header { margin-bottom: 8px; }
            .logo { max-height: 48px; max-width: 200px; display: block; margin: 0 auto 8px; }
            .product { margin: 0; font-weight: 600; color: #1b5e35; }
            h1 { font-size: 1.4em; margin: 4px 0 8px; }
            .intro, .ask, main > p { margin: 0 0 16px; color: #222; }
            whatsapp-qr { --wqr-accent: #1b7f3b; --wqr-size: min(300px, 78vw); box-shadow: 0 1px 4px rgba(0,0,0,.12); }
            .done p { font-size: 1.1em; margin: 16px 0; }
            .continue { display: inline-block; padding: 12px 22px; border-radius: 8px; background: #1b7f3b; color: #fff;
              text-decoration: none; font-weight: 600; }
            .continue:focus-visible { outline: 3px solid #111; outline-offset: 2px; }
            .ended h1 { margin-top: 24px; }
            """;
}
