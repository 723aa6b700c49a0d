package io.qrrefresher.browser;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.access.LinkTokens;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.QrImagesTest;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.SearchContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The link page an operator sends the person who must link their WhatsApp ({@code POST /instances/{name}/link}, then
 * {@code GET /link/<token>}), in a real browser: Debian's headless Chromium as a desktop (English) and as a phone
 * (390×844, an iPhone's user agent, Portuguese: DevTools emulation), against the real service and an Evolution API on
 * loopback.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LinkPageBrowserTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newHttpClient();

    /** One Chromium, a desktop or a phone as each test needs (DevTools emulation). */
    Browser browser;
    ScriptedEvolutionApi evolution;
    PageServer productSite;
    RunningService service;

    @BeforeAll
    void start() throws Exception {
        browser = Browser.start();
        evolution = ScriptedEvolutionApi.start();
        productSite = new PageServer();
        service = RunningService.against(evolution)
                .with("qr.refresh.on-request", "true")
                .with("link.page-title", "Acme Chat")
                .with("link.page-contact", "support@acme.example")
                .start();
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {browser, service, productSite, evolution}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    @Test
    void onADesktopTheLinkShowsTheLiveQrWithItsTrueCountdownThenConnectedAndGoesBackToTheProduct() throws Exception {
        Browser desktop = browser.asDesktop("en-US,en");
        waitingInstance("l-desk");
        String done = productSite.put("/welcome.html", "<!doctype html><html lang=en><title>Welcome</title>"
                + "<main>Welcome back</main></html>");
        String url = link("l-desk", "{\"return_url\": \"" + done + "\"}").path("url").asText();

        desktop.open(url);
        await().atMost(WAIT).until(() -> "scan".equals(state(desktop)));
        assertThat(desktop.js("return document.documentElement.lang")).isEqualTo("en");
        assertThat(desktop.driver().findElement(By.tagName("h1")).getText()).isEqualTo("Link your WhatsApp");
        assertThat(desktop.driver().findElement(By.className("intro")).getText())
                .isEqualTo("Link your WhatsApp to Acme Chat.");
        // the QR the page shows is the QR of the stored code, decoded as a phone would
        await().atMost(WAIT).until(() -> stored("l-desk").equals(image(desktop)));
        assertThat(QrImagesTest.decode(image(desktop))).isEqualTo(QrImagesTest.decode(stored("l-desk")));
        Timestamp expires = (Timestamp) service.db().instance("l-desk").get("qr_expires_at");
        long expected = (long) Math.ceil((expires.getTime() - Instant.now().toEpochMilli()) / 1000.0);
        assertThat(Long.parseLong(countdown(desktop))).isBetween(expected - 1, expected + 1);
        assertThat(desktop.seriousAccessibilityViolations()).as("axe-core on the link page, desktop").isEmpty();
        assertThat(desktop.screenshotWindow("link-desktop-en", 1000, 900)).isNotEmptyFile();

        String first = image(desktop);
        evolution.rotate("l-desk");
        service.refresh();
        await().atMost(WAIT).until(() -> !first.equals(image(desktop)) && stored("l-desk").equals(image(desktop)));

        evolution.pair("l-desk");
        service.refresh();
        await().atMost(WAIT).until(() -> "connected".equals(state(desktop)) || done.equals(currentUrl(desktop)));
        // the page says so, then goes back to the product
        await().atMost(WAIT).until(() -> done.equals(currentUrl(desktop)));
        assertThat(desktop.driver().findElement(By.tagName("main")).getText()).isEqualTo("Welcome back");
    }

    @Test
    void onAPhoneThePageLeadsWithThePairingCodeInPortugueseWithoutAFlash() throws Exception {
        Browser phone = browser.asPhone("pt-BR,pt");
        waitingInstance("l-phone");
        // the new socket's first QR (with its pairing code) arrives while Evolution waits before answering connect
        evolution.whileConnectWaits("l-phone", () -> evolution.rotate("l-phone"));
        String url = link("l-phone", null).path("url").asText();

        phone.open(url);
        await().atMost(WAIT).until(() -> "phone".equals(state(phone)));
        assertThat(phone.js("return document.documentElement.lang")).isEqualTo("pt-BR");
        assertThat(phone.driver().findElement(By.tagName("h1")).getText()).isEqualTo("Conecte seu WhatsApp");
        SearchContext widget = phone.driver().findElement(By.tagName("whatsapp-qr")).getShadowRoot();
        assertThat(widget.findElement(By.cssSelector(".link")).getText()).isEqualTo("Escanear um código QR");
        assertThat(phone.seriousAccessibilityViolations()).as("axe-core on the link page, phone").isEmpty();
        assertThat(phone.screenshotWindow("link-phone-pt-BR", 390, 844)).isNotEmptyFile();

        phone.js("window.statesSeen = []; document.addEventListener('qr-state',"
                + " e => window.statesSeen.push(e.detail.state));");
        widget.findElement(By.cssSelector("input")).sendKeys("+55 11 98765-4321" + Keys.ENTER);
        await().atMost(WAIT).until(() -> "pairing".equals(state(phone)) && evolution.currentPairingCode("l-phone") != null
                && grouped(evolution.currentPairingCode("l-phone")).equals(widget.findElement(By.cssSelector(".code"))
                .getText()));
        // one state at a time: never "this code is no longer valid", never a QR, while the code was on its way
        assertThat(phone.js("return window.statesSeen")).asList().containsOnly("pairing");
        await().atMost(WAIT).until(() -> countdown(phone) != null && Long.parseLong(countdown(phone)) > 0);
        assertThat(widget.findElement(By.cssSelector(".count")).getText()).startsWith("Válido por ");
        assertThat(widget.findElement(By.cssSelector(".link")).getText()).isEqualTo("Escanear um código QR");
        assertThat(widget.findElement(By.cssSelector(".text")).getText()).contains("Aparelhos conectados");
        assertThat(phone.seriousAccessibilityViolations()).as("axe-core, the pairing code on a phone").isEmpty();
        assertThat(phone.screenshotWindow("link-phone-pt-BR-code", 390, 844)).isNotEmptyFile();
    }

    @Test
    void aPairingCodeShowsOnlyInTheTabThatAskedForItReloadsIncluded() throws Exception {
        Browser phone = browser.asPhone("en-US,en");
        waitingInstance("l-again");
        evolution.whileConnectWaits("l-again", () -> evolution.rotate("l-again"));
        String url = link("l-again", null).path("url").asText();
        phone.open(url);
        await().atMost(WAIT).until(() -> "phone".equals(state(phone)));
        SearchContext asked = phone.driver().findElement(By.tagName("whatsapp-qr")).getShadowRoot();
        asked.findElement(By.cssSelector("input")).sendKeys("+55 11 98765-4321" + Keys.ENTER);
        await().atMost(WAIT).until(() -> evolution.currentPairingCode("l-again") != null
                && grouped(evolution.currentPairingCode("l-again")).equals(asked.findElement(By.cssSelector(".code"))
                .getText()));

        // a phone's browser reloads the tab while the person types the code in WhatsApp: the code shows again
        phone.driver().navigate().refresh();
        await().atMost(WAIT).until(() -> "pairing".equals(state(phone)) && grouped(service.db().instance("l-again")
                .get("pairing_code").toString()).equals(code(phone)));

        // a tab that never asked (another device opening the same link): the form, not a code for a number it never typed
        phone.js("sessionStorage.clear()");
        phone.driver().navigate().refresh();
        await().atMost(WAIT).until(() -> "phone".equals(state(phone)));
        assertThat(service.db().instance("l-again").get("pairing_code")).as("a code is stored").isNotNull();
        assertThat(code(phone)).isEmpty();
        assertThat(phone.js("return document.querySelector('whatsapp-qr').shadowRoot.querySelector('.code').hidden"))
                .isEqualTo(true);
    }

    @Test
    void theKeyboardAloneReachesThePairingCode() throws Exception {
        Browser desktop = browser.asDesktop("en-US,en");
        waitingInstance("l-keys");
        evolution.whileConnectWaits("l-keys", () -> evolution.rotate("l-keys"));
        desktop.open(link("l-keys", null).path("url").asText());
        await().atMost(WAIT).until(() -> "scan".equals(state(desktop)));

        // Tab from the top of the page to "Link with phone number instead" (the only control while a QR shows)
        org.openqa.selenium.interactions.Actions keys = new org.openqa.selenium.interactions.Actions(desktop.driver());
        keys.sendKeys(Keys.TAB).perform();
        assertThat(desktop.js("const w = document.querySelector('whatsapp-qr');"
                + " return document.activeElement === w && w.shadowRoot.activeElement.className")).isEqualTo("link");
        keys.sendKeys(Keys.ENTER).perform();
        await().atMost(WAIT).until(() -> "phone".equals(state(desktop)));
        // the number field has the focus: type, Enter
        keys.sendKeys("+55 11 98765-4321" + Keys.ENTER).perform();
        SearchContext widget = desktop.driver().findElement(By.tagName("whatsapp-qr")).getShadowRoot();
        await().atMost(WAIT).until(() -> evolution.currentPairingCode("l-keys") != null
                && grouped(evolution.currentPairingCode("l-keys")).equals(widget.findElement(By.cssSelector(".code"))
                .getText()));
        assertThat(evolution.pairingNumber("l-keys")).isEqualTo("5511987654321");
        // and back to the QR, by keyboard: Tab to the copy button, Tab to "Scan a QR code instead", Enter
        keys.sendKeys(Keys.TAB).perform();
        assertThat(desktop.js("return document.querySelector('whatsapp-qr').shadowRoot.activeElement.className"))
                .isEqualTo("copy");
        keys.sendKeys(Keys.TAB, Keys.ENTER).perform();
        await().atMost(WAIT).until(() -> !"pairing".equals(state(desktop)));
    }

    @Test
    void theLinksLanguageComesFirstThenTheBrowsers() throws Exception {
        Browser desktop = browser.asDesktop("en-US,en");
        waitingInstance("l-lang");
        desktop.open(link("l-lang", "{\"lang\": \"es\"}").path("url").asText());
        await().atMost(WAIT).until(() -> "scan".equals(state(desktop)));
        assertThat(desktop.js("return document.documentElement.lang")).isEqualTo("es");
        assertThat(desktop.driver().findElement(By.tagName("h1")).getText()).isEqualTo("Vincula tu WhatsApp");
        SearchContext widget = desktop.driver().findElement(By.tagName("whatsapp-qr")).getShadowRoot();
        assertThat(widget.findElement(By.cssSelector(".text")).getText()).contains("Dispositivos vinculados");

        desktop.open(link("l-lang", "{\"lang\": \"pt-BR\"}").path("url").asText());
        await().atMost(WAIT).until(() -> "scan".equals(state(desktop)));
        assertThat(desktop.driver().findElement(By.tagName("h1")).getText()).isEqualTo("Conecte seu WhatsApp");
        assertThat(desktop.screenshotWindow("link-desktop-pt-BR", 1000, 900)).isNotEmptyFile();

        Browser phone = browser.asPhone("pt-BR,pt");
        phone.open(link("l-lang", "{\"lang\": \"en\"}").path("url").asText());
        await().atMost(WAIT).until(() -> "phone".equals(state(phone)));
        assertThat(phone.driver().findElement(By.tagName("h1")).getText()).isEqualTo("Link your WhatsApp");
        assertThat(phone.screenshotWindow("link-phone-en", 390, 844)).isNotEmptyFile();

        // without a lang, the browser's Accept-Language
        HttpResponse<String> portuguese = page(link("l-lang", null).path("url").asText(), "pt-BR,pt;q=0.9,en;q=0.5");
        assertThat(portuguese.body()).contains("<html lang=\"pt-BR\">", "Conecte seu WhatsApp");
        HttpResponse<String> mexican = page(link("l-lang", null).path("url").asText(), "es-MX,es;q=0.9");
        assertThat(mexican.body()).contains("<html lang=\"es\">");
    }

    @Test
    void anExpiredLinkIsA410PageThatSaysWhomToAsk() throws Exception {
        Browser desktop = browser.asDesktop("en-US,en");
        waitingInstance("l-expired");
        LinkTokens tokens = new LinkTokens(Optional.of(RunningService.VIEWER_SECRET));
        String token = tokens.mint("l-expired", Instant.now().minus(Duration.ofHours(2))).token();
        String url = service.url("/link/" + token).toString();

        HttpResponse<String> answer = page(url, "en");
        assertThat(answer.statusCode()).isEqualTo(410);
        // the token is in the URL: no referrer carries it away, no cache keeps the page
        assertThat(answer.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
        assertThat(answer.headers().firstValue("Cache-Control")).hasValue("no-store");
        desktop.open(url);
        assertThat(desktop.driver().findElement(By.tagName("h1")).getText()).isEqualTo("This link has expired");
        assertThat(desktop.driver().findElement(By.className("ask")).getText())
                .isEqualTo("Ask support@acme.example for a new link.");
        assertThat(desktop.seriousAccessibilityViolations()).as("axe-core on the expired page").isEmpty();
        // a client that does not ask for HTML gets the same answer as JSON
        HttpResponse<String> json = HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(json.statusCode()).isEqualTo(410);
        assertThat(JSON.readTree(json.body()).path("error").asText()).isEqualTo("link_expired");
    }

    @Test
    void aRevokedLinkIsRefusedEvenOnAPageAlreadyOpen() throws Exception {
        Browser desktop = browser.asDesktop("en-US,en");
        waitingInstance("l-revoked");
        String url = link("l-revoked", null).path("url").asText();
        String token = url.substring(url.lastIndexOf('/') + 1);
        desktop.open(url);
        await().atMost(WAIT).until(() -> "scan".equals(state(desktop)));

        HttpResponse<String> revoked = service.send(HttpRequest.newBuilder(service.url("/instances/l-revoked/link"))
                .header("Authorization", "Bearer " + RunningService.ADMIN_TOKEN).DELETE().build());
        assertThat(JSON.readTree(revoked.body()).path("revoked").asInt()).isEqualTo(1);

        // the open page's stream ends, the page loads again: the service says the link is no longer valid
        await().atMost(WAIT).until(() -> desktop.driver().findElements(By.cssSelector("main.ended")).size() == 1);
        assertThat(desktop.driver().findElement(By.tagName("h1")).getText()).isEqualTo("This link is no longer valid");
        assertThat(page(url, "en").statusCode()).isEqualTo(410);
        HttpResponse<String> stream = service.get("/instances/l-revoked/qr/stream?token=" + token, null);
        assertThat(stream.statusCode()).isEqualTo(401);
        assertThat(service.bean(io.qrrefresher.stream.QrStreams.class).clientsOf("l-revoked")).isZero();
    }

    @Test
    void anOpenStreamEndsWhenItsLinkExpiresAndThePageThenSaysSo() throws Exception {
        waitingInstance("l-ending");
        var row = service.db().queryOne("SELECT id::text AS id, COALESCE(user_id::text, '') AS owner"
                + " FROM evolution_instances WHERE instance_name = ?", "l-ending");
        Instant ends = Instant.now().plusSeconds(4).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        LinkTokens.Minted link = new LinkTokens(Optional.of(RunningService.VIEWER_SECRET)).mint("l-ending", ends);
        service.db().update("INSERT INTO qr_refresher.instance_links (link_id, instance_name, row_id, owner, expires_at)"
                + " VALUES (?, ?, ?, ?, ?)", link.linkId(), "l-ending", row.get("id"), row.get("owner"),
                java.sql.Timestamp.from(ends));

        java.util.concurrent.CompletableFuture<HttpResponse<java.util.stream.Stream<String>>> stream = HTTP.sendAsync(
                HttpRequest.newBuilder(service.url("/instances/l-ending/qr/stream?token=" + link.token())).build(),
                HttpResponse.BodyHandlers.ofLines());
        HttpResponse<java.util.stream.Stream<String>> open = stream.get(30, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(open.statusCode()).isEqualTo(200);
        // the body ends (the service ends the stream) once the link's time is over
        java.util.concurrent.CompletableFuture<Long> lines = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> open.body().count());
        assertThat(lines.get(60, java.util.concurrent.TimeUnit.SECONDS)).isPositive();
        assertThat(Instant.now()).isAfterOrEqualTo(ends);
        // and the page, and the stream, say it expired, in the same second
        assertThat(page(service.url("/link/" + link.token()).toString(), "en").statusCode()).isEqualTo(410);
        assertThat(service.get("/instances/l-ending/qr/stream?token=" + link.token(), null).statusCode()).isEqualTo(401);
    }

    @Test
    void aLinkForAnInstanceDeletedSinceSaysSo() throws Exception {
        waitingInstance("l-gone");
        String url = link("l-gone", null).path("url").asText();
        service.db().update("DELETE FROM evolution_instances WHERE instance_name = ?", "l-gone");
        HttpResponse<String> answer = page(url, "es");
        assertThat(answer.statusCode()).isEqualTo(410);
        assertThat(answer.body()).contains("Esta conexión de WhatsApp ya no existe");
        // and a tampered link is not a link
        HttpResponse<String> tampered = page(url.substring(0, url.length() - 2) + "xx", "en");
        assertThat(tampered.statusCode()).isEqualTo(401);
        assertThat(tampered.body()).contains("This link is not valid");
    }

    @Test
    void makingALinkSaysWhatIsWrongWithTheRequest() throws Exception {
        waitingInstance("l-bad");
        for (String[] bad : new String[][] {{"{\"ttl_seconds\": 5}", "ttl_seconds"},
                {"{\"ttl_seconds\": 9999999}", "7 days"}, {"{\"lang\": \"xx\"}", "pt-BR"},
                {"{\"return_url\": \"javascript:alert(1)\"}", "return_url"}, {"{\"colour\": 1}", "unknown field"},
                {"[1]", "JSON object"}, {"{", "not JSON"}}) {
            HttpResponse<String> answer = service.send(HttpRequest.newBuilder(service.url("/instances/l-bad/link"))
                    .header("Authorization", "Bearer " + RunningService.ADMIN_TOKEN)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(bad[0])).build());
            assertThat(answer.statusCode()).as(bad[0]).isEqualTo(400);
            assertThat(JSON.readTree(answer.body()).path("message").asText()).as(bad[0]).contains(bad[1]);
        }
        HttpResponse<String> unknown = service.send(HttpRequest.newBuilder(service.url("/instances/nobody/link"))
                .header("Authorization", "Bearer " + RunningService.ADMIN_TOKEN)
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(unknown.statusCode()).isEqualTo(404);
        JsonNode made = link("l-bad", "{\"ttl_seconds\": 604800, \"phone_link\": false}");
        assertThat(Instant.parse(made.path("expires_at").asText()))
                .isBetween(Instant.now().plus(Duration.ofDays(7)).minusSeconds(60), Instant.now().plus(Duration.ofDays(7)));
        assertThat(made.path("phone_link").asBoolean()).isFalse();
        // QR only means QR only: its token asks for no pairing code (which would log the instance out)
        String url = made.path("url").asText();
        HttpResponse<String> pairing = service.send(HttpRequest.newBuilder(service.url("/instances/l-bad/qr/pairing-code"))
                .header("Authorization", "Bearer " + url.substring(url.lastIndexOf('/') + 1))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"number\": \"+5511987654321\"}")).build());
        assertThat(pairing.statusCode()).as(pairing.body()).isEqualTo(403);
        assertThat(JSON.readTree(pairing.body()).path("error").asText()).isEqualTo("phone_link_off");
        assertThat(evolution.calls(io.qrrefresher.evolution.EvolutionCall.LOGOUT, "l-bad")).isZero();
    }

    private JsonNode link(String instance, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(service.url("/instances/" + instance + "/link"))
                .header("Authorization", "Bearer " + RunningService.ADMIN_TOKEN);
        if (body != null) {
            request.header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        } else {
            request.POST(HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> answer = service.send(request.build());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    private static HttpResponse<String> page(String url, String acceptLanguage) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/html")
                .header("Accept-Language", acceptLanguage).build(), HttpResponse.BodyHandlers.ofString());
    }

    private void waitingInstance(String name) {
        evolution.addInstance(name, "token-" + name, State.CONNECTING);
        evolution.rotate(name);
        service.db().insertInstance(name, "token-" + name, "connecting");
        await().atMost(WAIT).until(() -> service.db().instance(name).get("qr_code") != null);
    }

    private String stored(String name) {
        Object qr = service.db().instance(name).get("qr_code");
        return qr == null ? "" : qr.toString();
    }

    private static String currentUrl(Browser browser) {
        return browser.driver().getCurrentUrl();
    }

    private static String state(Browser browser) {
        return (String) browser.js("const w = document.querySelector('whatsapp-qr'); return w && w.getAttribute('state')");
    }

    private static String image(Browser browser) {
        return (String) browser.js("const w = document.querySelector('whatsapp-qr');"
                + " return w ? w.shadowRoot.querySelector('.qr').getAttribute('src') || '' : ''");
    }

    private static String countdown(Browser browser) {
        return (String) browser.js("return document.querySelector('whatsapp-qr').shadowRoot.querySelector('.count')"
                + ".dataset.seconds || null");
    }

    private static String code(Browser browser) {
        return (String) browser.js("return document.querySelector('whatsapp-qr').shadowRoot.querySelector('.code')"
                + ".textContent");
    }

    private static String grouped(String pairingCode) {
        return pairingCode == null ? "" : pairingCode.substring(0, 4) + "-" + pairingCode.substring(4);
    }

    static List<String> list(Object value) {
        return value == null ? List.of() : new ArrayList<>((List<String>) value);
    }
}
