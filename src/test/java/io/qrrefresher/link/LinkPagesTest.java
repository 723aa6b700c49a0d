package io.qrrefresher.link;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import io.qrrefresher.access.LinkTokens;
import io.qrrefresher.common.Languages;
import io.qrrefresher.config.Settings;
import io.qrrefresher.support.MutableClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Link pages as tables: what a request for a link may say, and what a page shows of what it is given. */
class LinkPagesTest {

    static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    final LinkTokens tokens = new LinkTokens(Optional.of("link-secret-0123456789abcdef0123456789"));
    final Settings.LinkPage settings = new Settings.LinkPage(Optional.empty(),
            Optional.of("Acme <script>alert(1)</script>"), Optional.of(URI.create("https://cdn.acme.example/logo.png")),
            Optional.of("\"support\" <a@b>"), Optional.empty());
    final LinkPages pages = new LinkPages(tokens, Languages.load(Optional.empty()), settings, () -> "v1",
            new MutableClock(NOW));

    @Test
    void whatARequestForALinkMaySay() {
        String[][] table = {
                // content type, body, status (0: accepted), what the message names
                {null, null, "0", ""},
                {"application/json", "", "0", ""},
                {"application/json", "{}", "0", ""},
                {"application/json; charset=utf-8", "{\"ttl_seconds\": 60, \"lang\": \"pt\", \"return_url\":"
                        + " \"https://app.example.com/done?x=1\", \"phone_link\": false}", "0", ""},
                {"application/x-www-form-urlencoded", "ttl_seconds=60", "415", "Content-Type: application/json"},
                {"application/json", "{\"ttl_seconds\": 59}", "400", "from 60 to 604800"},
                {"application/json", "{\"ttl_seconds\": 604801}", "400", "7 days"},
                {"application/json", "{\"ttl_seconds\": 3600.5}", "400", "whole number"},
                {"application/json", "{\"ttl_seconds\": \"3600\"}", "400", "whole number"},
                {"application/json", "{\"lang\": \"fr\"}", "400", "en, pt-BR, es"},
                {"application/json", "{\"lang\": 1}", "400", "lang must be one of"},
                {"application/json", "{\"return_url\": \"javascript:alert(1)\"}", "400", "http:// or https://"},
                {"application/json", "{\"return_url\": \"https://user:pw@app.example.com/\"}", "400", "credentials"},
                {"application/json", "{\"return_url\": \"/relative\"}", "400", "return_url"},
                {"application/json", "{\"return_url\": \"https://a.example/" + "x".repeat(2100) + "\"}", "400", "2048"},
                {"application/json", "{\"phone_link\": \"no\"}", "400", "true or false"},
                {"application/json", "{\"colour\": \"green\"}", "400", "unknown field 'colour'"},
                {"application/json", "[]", "400", "JSON object"},
                {"application/json", "{", "400", "not JSON"},
                {"application/json", "{\"lang\": \"" + "x".repeat(5000) + "\"}", "400", "4 KiB"},
                {"application/json", "{\"ttl_seconds\": 60, \"ttl_seconds\": 604800}", "400", "given twice"},
                {"application/json", "{\"ttl_seconds\": 60} xyz", "400", "not JSON"},
                {"application/json", "{\"ttl_seconds\": 60}{\"ttl_seconds\": 604800}", "400", "follows the JSON object"},
                {"application/json", "{\"return_url\": \"HTTPS://app.example.com/done\"}", "0", ""}};
        for (String[] row : table) {
            LinkPages.LinkRequest request = pages.request(row[0], row[1]);
            if (row[2].equals("0")) {
                assertThat(request.refusal()).as(row[1]).isNull();
            } else {
                assertThat(request.refusal()).as(row[1]).isNotNull();
                assertThat(request.refusal().status()).as(row[1]).isEqualTo(Integer.parseInt(row[2]));
                assertThat(request.refusal().json()).as(row[1]).contains(row[3]);
            }
        }
        LinkPages.LinkRequest full = pages.request("application/json", table[3][1]);
        assertThat(full.ttlSeconds()).isEqualTo(60);
        assertThat(full.lang()).isEqualTo("pt-BR");
        assertThat(full.phoneLink()).isFalse();
        assertThat(pages.request(null, null).ttlSeconds()).isEqualTo(Duration.ofHours(24).toSeconds());
        assertThat(new LinkPages(new LinkTokens(Optional.empty()), Languages.load(Optional.empty()), settings,
                () -> "v1", new MutableClock(NOW)).request(null, null).refusal().status()).isEqualTo(409);
    }

    @Test
    void aPageEscapesEverythingItIsGivenAndAllowsOnlyItsOwnScriptsAndTheLogo() {
        String name = "<img src=x onerror=alert(1)>";
        LinkTokens.Minted link = tokens.mint(name, NOW.plus(Duration.ofHours(1)));
        Map<String, Object> row = new HashMap<>();
        row.put("lang", null);
        row.put("return_url", "https://app.example.com/done?a=1&b=\"><script>x</script>");
        row.put("phone_link", true);
        row.put("revoked", false);
        row.put("same_row", true);
        LinkPages.Page page = pages.page(tokens.check(link.token(), NOW), link.token(), row, "es", "text/html",
                "/link/" + link.token());
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.body()).doesNotContain("<img src=x", "<script>alert", "\"><script>x")
                .contains("&lt;img src=x onerror=alert(1)&gt;", "Acme &lt;script&gt;", "&amp;b=&quot;&gt;&lt;script&gt;")
                .contains("<html lang=\"es\">", "Vincula tu WhatsApp");
        // the only scripts: the widget's and the page's own, relative to the page (a proxy's prefix keeps working)
        assertThat(page.body().split("<script", -1)).hasSize(4);
        assertThat(page.body()).contains("src=\"../widget/whatsapp-qr.js?v=v1\"", "src=\"../link-page.js?v=",
                "server=\"..\"",
                "<script type=\"application/json\" id=\"link-config\">");
        assertThat(page.contentSecurityPolicy()).startsWith("default-src 'none'; script-src 'self';")
                .contains("img-src data: 'self' https://cdn.acme.example;");
        // written with a trailing slash (as some mail apps do), the page still finds its scripts and stream
        LinkPages.Page slashed = pages.page(tokens.check(link.token(), NOW), link.token(), row, "es", "text/html",
                "/link/" + link.token() + "/");
        assertThat(slashed.body()).contains("src=\"../../widget/whatsapp-qr.js?v=v1\"", "src=\"../../link-page.js?v=",
                "server=\"../..\"");
        // a JSON client gets JSON
        assertThat(pages.page(tokens.check(link.token(), NOW), link.token(), row, "es", "*/*", null).contentType())
                .isEqualTo("application/json");
    }

    @Test
    void theEndStatesSayWhyAndWhomToAsk() {
        LinkTokens.Minted link = tokens.mint("customer-42", NOW.plus(Duration.ofHours(1)));
        LinkTokens.Check valid = tokens.check(link.token(), NOW);
        Map<String, Object> row = new HashMap<>(Map.of("phone_link", true, "revoked", false, "same_row", true));
        Object[][] table = {
                {Map.of("revoked", true), 410, "link_revoked", "This link is no longer valid"},
                {Map.of("same_row", false), 410, "instance_gone", "This WhatsApp connection no longer exists"},
                {null, 401, "link_invalid", "This link is not valid"}};
        for (Object[] line : table) {
            Map<String, Object> changed = null;
            if (line[0] != null) {
                changed = new HashMap<>(row);
                changed.putAll((Map<String, Object>) line[0]);
            }
            LinkPages.Page html = pages.page(valid, link.token(), changed, "en", "text/html", null);
            assertThat(html.status()).isEqualTo(line[1]);
            assertThat(html.body()).contains((String) line[3], "Ask &quot;support&quot; &lt;a@b&gt; for a new link.")
                    .contains("data-reason=\"" + line[2] + "\"").doesNotContain("<whatsapp-qr");
            LinkPages.Page json = pages.page(valid, link.token(), changed, "en", null, null);
            assertThat(json.body()).contains("\"error\":\"" + line[2] + "\"");
        }
        LinkTokens.Check expired = tokens.check(tokens.mint("customer-42", NOW.minusSeconds(3600)).token(), NOW);
        LinkPages.Page page = pages.refusal(expired, "pt-BR,pt", "text/html");
        // with its row (a day after it expired, the row goes): in the link's language, whatever the browser's
        LinkPages.Page spanish = pages.page(expired, "t", new HashMap<>(Map.of("lang", "es", "revoked", false,
                "same_row", true)), "pt-BR,pt", "text/html", null);
        assertThat(spanish.status()).isEqualTo(410);
        assertThat(spanish.body()).contains("Este enlace caducó");
        assertThat(page.status()).isEqualTo(410);
        assertThat(page.body()).contains("Este link expirou", "Ele expirou em", "UTC");
    }
}
