package io.qrrefresher.browser;

import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.support.DebianTool;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.SearchContext;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code <whatsapp-qr>} widget in a real browser (Debian's headless Chromium), on a page of another origin that
 * CORS_ALLOWED_ORIGINS lists, against the real service and an Evolution API on loopback.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class WidgetBrowserTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    static final java.io.File FIREFOX = new java.io.File("/usr/bin/firefox-esr");

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path firefoxHome;
    Browser browser;
    ScriptedEvolutionApi evolution;
    PageServer listedSite;
    PageServer otherSite;
    RunningService service;

    @BeforeAll
    void start() throws Exception {
        browser = Browser.start();
        evolution = ScriptedEvolutionApi.start();
        listedSite = new PageServer();
        otherSite = new PageServer();
        service = RunningService.against(evolution)
                .with("cors.allowed-origins", listedSite.origin())
                .with("qr.refresh.on-request", "true")
                .start();
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {browser, service, listedSite, otherSite, evolution}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    /** Each test's page goes, with its streams (Chromium keeps at most six connections per host). */
    @AfterEach
    void leaveThePage() {
        browser.open("about:blank");
    }

    @Test
    void theQrAppearsChangesWithEachRotationAndCountsDownByTheServersClock() throws Exception {
        waitingInstance("w-scan");
        browser.open(widgetPage(listedSite, "w-scan"));

        await().atMost(WAIT).until(() -> "scan".equals(state()) && stored("w-scan").equals(image()));
        // one widget, one stream
        assertThat(service.bean(io.qrrefresher.stream.QrStreams.class).clientsOf("w-scan")).isEqualTo(1);
        Timestamp expires = (Timestamp) service.db().instance("w-scan").get("qr_expires_at");
        long expected = (long) Math.ceil((expires.toInstant().toEpochMilli() - Instant.now().toEpochMilli()) / 1000.0);
        assertThat(Long.parseLong(countdown())).isBetween(expected - 1, expected + 1);
        assertThat(browser.screenshot("whatsapp-qr", "widget-scan")).isNotEmptyFile();
        assertThat(browser.seriousAccessibilityViolations()).as("axe-core on the widget showing a QR").isEmpty();
        String first = image();

        evolution.rotate("w-scan");
        service.refresh();

        await().atMost(WAIT).until(() -> !first.equals(image()) && stored("w-scan").equals(image()));
        assertThat(browser.js("return window.qrChanges")).isEqualTo(2L);
    }

    @Test
    void aPairedInstanceShowsConnected() throws Exception {
        waitingInstance("w-pair");
        browser.open(widgetPage(listedSite, "w-pair"));
        await().atMost(WAIT).until(() -> "scan".equals(state()));

        evolution.pair("w-pair");
        service.refresh();

        await().atMost(WAIT).until(() -> "connected".equals(state()));
        assertThat(browser.screenshot("whatsapp-qr", "widget-connected")).isNotEmptyFile();
        assertThat(browser.js("return window.states.at(-1)")).isEqualTo("connected");
    }

    @Test
    void getANewCodeOpensExactlyOneNewSocket() {
        evolution.addInstance("w-renew", "token-w-renew", State.CLOSE);
        service.db().insertInstance("w-renew", "token-w-renew", "close");
        browser.open(widgetPage(listedSite, "w-renew"));
        await().atMost(WAIT).until(() -> "closed".equals(state()));

        // two clicks, as an impatient person does: one request, one connect on the closed instance
        browser.js("const b = document.querySelector('whatsapp-qr').shadowRoot.querySelector('.renew');"
                + " b.click(); b.click();");

        await().atMost(WAIT).until(() -> evolution.socketsOpened("w-renew") == 1);
        assertThat(state()).isEqualTo("renewing");
        evolution.rotate("w-renew"); // the new socket's first QR
        await().atMost(WAIT).until(() -> {
            service.refresh(); // as the schedule would
            return "scan".equals(state());
        });
        assertThat(evolution.socketsOpened("w-renew")).isEqualTo(1);
        assertThat(image()).isEqualTo(stored("w-renew"));
    }

    @Test
    void linkingWithAPhoneNumberShowsThePairingCodeAndItsNextOnes() throws Exception {
        waitingInstance("w-phone");
        // the new socket's first QR (with its pairing code) arrives while Evolution waits before answering connect
        evolution.whileConnectWaits("w-phone", () -> evolution.rotate("w-phone"));
        browser.open(widgetPage(listedSite, "w-phone"));
        await().atMost(WAIT).until(() -> "scan".equals(state()));

        // by keyboard, as a person on that phone would: the switch, the number, Enter
        browser.js("document.querySelector('whatsapp-qr').shadowRoot.querySelector('.link').click()");
        await().atMost(WAIT).until(() -> "phone".equals(state()));
        SearchContext widget = browser.driver().findElement(By.tagName("whatsapp-qr")).getShadowRoot();
        widget.findElement(By.cssSelector("input")).sendKeys("+55 11 98765-4321" + Keys.ENTER);

        await().atMost(WAIT).until(() -> "pairing".equals(state()) && evolution.currentPairingCode("w-phone") != null
                && grouped(evolution.currentPairingCode("w-phone"))
                .equals(widget.findElement(By.cssSelector(".code")).getText()));
        assertThat(evolution.pairingNumber("w-phone")).isEqualTo("5511987654321");
        assertThat(evolution.calls(EvolutionCall.LOGOUT, "w-phone")).isEqualTo(1);
        assertThat(evolution.socketsOpened("w-phone")).isEqualTo(1);
        await().atMost(WAIT).until(() -> countdown() != null && Long.parseLong(countdown()) > 0);
        assertThat(browser.screenshot("whatsapp-qr", "widget-pairing-code")).isNotEmptyFile();

        // the next rotation brings the next code
        String first = evolution.currentPairingCode("w-phone");
        evolution.rotate("w-phone");
        service.refresh();
        await().atMost(WAIT).until(() -> !grouped(first).equals(widget.findElement(By.cssSelector(".code")).getText())
                && grouped(evolution.currentPairingCode("w-phone"))
                .equals(widget.findElement(By.cssSelector(".code")).getText()));
        assertThat(evolution.socketsOpened("w-phone")).isEqualTo(1);
    }

    /**
     * The widget in Debian's Firefox ESR, headless. Debian packages no geckodriver (and nothing may be downloaded at
     * run time), so Firefox runs without WebDriver: it loads a page of another origin with the widget, the page reports
     * what the widget shows to its own server, and holds its load event until the widget shows the QR, so that
     * Firefox's {@code --screenshot} pictures it. Skipped, loudly, without firefox-esr.
     */
    @Test
    void firefoxShowsTheCurrentQrWithATrueCountdownFromAnotherOrigin() throws Exception {
        DebianTool.require(FIREFOX.getPath(), "firefox-esr", "the Firefox case of WidgetBrowserTest");
        evolution.addInstance("ff-scan", "token-ff-scan", State.CONNECTING);
        evolution.rotate("ff-scan");
        service.db().insertInstance("ff-scan", "token-ff-scan", "connecting");
        await().until(() -> service.db().instance("ff-scan").get("qr_code") != null);
        String server = service.url("").toString();
        String page = listedSite.put("/ff.html", "<!doctype html><html><head><meta charset=utf-8>"
                + "<script type=module src='" + server + "/widget/whatsapp-qr.js'></script>"
                + "<script>document.addEventListener('qr-state', e => setTimeout(() => {"
                + " const w = e.target, img = w.shadowRoot.querySelector('.qr');"
                + " fetch('/report?' + new URLSearchParams({ state: e.detail.state, at: Date.now(),"
                + "  seconds: w.shadowRoot.querySelector('.count').dataset.seconds || '',"
                + "  image: img.getAttribute('src') || '', userAgent: navigator.userAgent }));"
                + " }, 0));</script></head><body>"
                + "<whatsapp-qr instance='ff-scan' token='" + RunningService.viewerToken("ff-scan")
                + "' server='" + server + "'></whatsapp-qr>"
                + "<img src='/hold?until=state=scan' width=1 height=1 alt=''></body></html>");
        Path screenshot = firefoxHome.resolve("firefox-widget.png");

        Process firefox = new ProcessBuilder(FIREFOX.getPath(), "--headless", "--no-remote", "--profile",
                Files.createDirectories(firefoxHome.resolve("profile")).toString(), "--window-size=400,640",
                "--screenshot", screenshot.toString(), page)
                .redirectErrorStream(true).redirectOutput(firefoxHome.resolve("firefox.log").toFile()).start();
        firefox.getOutputStream().close();
        try {
            assertThat(firefox.waitFor(90, TimeUnit.SECONDS)).as("Firefox took its screenshot and quit").isTrue();
        } finally {
            firefox.destroyForcibly();
        }

        List<String> reports = listedSite.reports();
        assertThat(reports).as(Files.readString(firefoxHome.resolve("firefox.log"))).isNotEmpty();
        assertThat(reports.get(0)).contains("Firefox/");
        String scan = reports.stream().filter(report -> report.contains("state=scan")).findFirst().orElseThrow();
        assertThat(value(scan, "image")).isEqualTo(service.db().instance("ff-scan").get("qr_code"));
        long at = Long.parseLong(value(scan, "at"));
        Timestamp expires = (Timestamp) service.db().instance("ff-scan").get("qr_expires_at");
        long expected = (long) Math.ceil((expires.getTime() - at) / 1000.0);
        assertThat(Long.parseLong(value(scan, "seconds"))).isBetween(expected - 1, expected + 1);
        assertThat(screenshot).isNotEmptyFile();
        Files.copy(screenshot, Files.createDirectories(Path.of(System.getProperty("screenshots",
                "target/screenshots"))).resolve("widget-firefox.png"), java.nio.file.StandardCopyOption
                .REPLACE_EXISTING);
    }

    @Test
    void aPageOfAnOriginNotListedSaysWhyAndGetsNoStream() throws Exception {
        waitingInstance("w-other");

        browser.open(widgetPage(otherSite, "w-other"));
        // the script holds no data and loads anywhere; the stream refuses the page, readably, and the widget says so
        await().atMost(WAIT).until(() -> "origin".equals(state()));
        SearchContext widget = browser.driver().findElement(By.tagName("whatsapp-qr")).getShadowRoot();
        assertThat(widget.findElement(By.cssSelector(".text")).getText())
                .isEqualTo("This page is not allowed to show the code.");
        assertThat(widget.findElement(By.cssSelector(".dev")).getText())
                .contains("CORS_ALLOWED_ORIGINS", otherSite.origin());
        assertThat(browser.js("return window.problems.at(-1)")).asString().contains("CORS_ALLOWED_ORIGINS");
        assertThat(service.bean(io.qrrefresher.stream.QrStreams.class).subscribedInstances()).doesNotContain("w-other");
        // nothing of the stream is readable by that page: only the refusal
        Object streamFetch = browser.driver().executeAsyncScript("const done = arguments[arguments.length - 1];"
                + " fetch(arguments[0]).then(r => r.json()).then(b => done(b.error), e => done('blocked'));",
                service.url("/instances/w-other/qr/stream?token=" + RunningService.viewerToken("w-other")).toString());
        assertThat(streamFetch).isEqualTo("origin_not_allowed");
    }

    @Test
    void aRefusedTokenSaysSoAndAGetTokenSetAfterTheWidgetUpgradedIsCalled() throws Exception {
        waitingInstance("w-refused");
        String server = service.url("").toString();
        browser.open(hostPage(listedSite, "w-refused", "pt-BR",
                "<whatsapp-qr instance='w-refused' token='v2.expired' server='" + server + "'></whatsapp-qr>"));
        await().atMost(WAIT).until(() -> "refused".equals(state()));
        SearchContext widget = browser.driver().findElement(By.tagName("whatsapp-qr")).getShadowRoot();
        // the page's language (lang="pt-BR")
        assertThat(widget.findElement(By.cssSelector(".text")).getText())
                .isEqualTo("Este acesso expirou ou foi revogado. Peça um novo a quem o enviou.");
        assertThat(widget.findElement(By.cssSelector(".dev")).getText()).contains("401 unauthorized");

        browser.js("window.asked = []; document.querySelector('whatsapp-qr').getToken = async instance => {"
                + " window.asked.push(instance); return '" + RunningService.viewerToken("w-refused") + "'; };");
        await().atMost(WAIT).until(() -> "scan".equals(state()) && stored("w-refused").equals(image()));
        assertThat(browser.js("return window.asked[0]")).isEqualTo("w-refused");
    }

    @Test
    void anUnknownInstanceAndAnUnreachableServiceEachSayWhatTheyAre() throws Exception {
        String server = service.url("").toString();
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        browser.open(hostPage(listedSite, "w-unknown", "es",
                "<whatsapp-qr id=a instance='w-never-made' token='" + RunningService.viewerToken("w-never-made")
                + "' server='" + server + "'></whatsapp-qr>"
                + "<whatsapp-qr id=b instance='w-down' token='x' server='http://127.0.0.1:" + closedPort
                + "'></whatsapp-qr>"));
        await().atMost(WAIT).alias("the states of a and b").untilAsserted(() -> assertThat(browser.js(
                "return [document.getElementById('a').getAttribute('state'),"
                + " document.getElementById('b').getAttribute('state')]")).asList()
                .containsExactly("unknown", "unreachable"));
        assertThat(browser.js("return document.getElementById('a').shadowRoot.querySelector('.text').textContent"))
                .isEqualTo("Esta conexión de WhatsApp ya no existe.");
        assertThat(browser.js("return document.getElementById('b').shadowRoot.querySelector('.text').textContent"))
                .isEqualTo("No se puede acceder al servicio del código. Reintentando…");
        assertThat(browser.seriousAccessibilityViolations()).as("axe-core on widgets in their failure states").isEmpty();
    }

    @Test
    void getTokenSetBeforeTheWidgetUpgradedIsCalled() {
        waitingInstance("w-get-token");
        String server = service.url("").toString();
        browser.open(hostPage(listedSite, "w-get-token", "en",
                "<whatsapp-qr instance='w-get-token' server='" + server + "'></whatsapp-qr>"
                + "<script>window.asked = []; document.querySelector('whatsapp-qr').getToken = async instance => {"
                + " window.asked.push(instance); return '" + RunningService.viewerToken("w-get-token") + "'; };"
                + "</script>"));

        await().atMost(WAIT).until(() -> "scan".equals(state()) && stored("w-get-token").equals(image()));
        assertThat(browser.js("return window.asked[0]")).isEqualTo("w-get-token");
    }

    private void waitingInstance(String name) {
        evolution.addInstance(name, "token-" + name, State.CONNECTING);
        evolution.rotate(name);
        service.db().insertInstance(name, "token-" + name, "connecting");
        await().atMost(WAIT).until(() -> service.db().instance(name).get("qr_code") != null);
    }

    private String widgetPage(PageServer site, String instance) {
        return hostPage(site, instance, "en", "<whatsapp-qr instance='" + instance + "' token='"
                + RunningService.viewerToken(instance) + "' server='" + service.url("") + "'></whatsapp-qr>");
    }

    /**
     * A page of {@code site} in {@code lang} that loads the widget's script from the service and records what the
     * widgets say (window.states, window.problems, window.qrChanges), with {@code body}.
     */
    private String hostPage(PageServer site, String name, String lang, String body) {
        return site.put("/" + name + ".html", "<!doctype html><html lang=" + lang + "><head><meta charset=utf-8>"
                + "<title>The widget</title>"
                + "<script>window.states = []; window.qrChanges = 0; window.problems = [];"
                + " document.addEventListener('qr-state', e => { window.states.push(e.detail.state);"
                + " window.problems.push(e.detail.problem); });"
                + " document.addEventListener('qr-change', () => window.qrChanges++);</script>"
                + "<script type=module src='" + service.url("") + "/widget/whatsapp-qr.js'></script></head><body>"
                + body + "</body></html>");
    }

    /** One value of a reported query string (decoded by the page server). */
    private static String value(String report, String key) {
        for (String pair : report.split("&")) {
            if (pair.startsWith(key + "=")) {
                return pair.substring(key.length() + 1);
            }
        }
        throw new AssertionError("no " + key + " in " + report);
    }

    private static String grouped(String pairingCode) {
        return pairingCode == null ? "" : pairingCode.substring(0, 4) + "-" + pairingCode.substring(4);
    }

    private String stored(String name) {
        Object qr = service.db().instance(name).get("qr_code");
        return qr == null ? "" : qr.toString();
    }

    private String state() {
        return (String) browser.js("const w = document.querySelector('whatsapp-qr'); return w && w.getAttribute('state')");
    }

    private String image() {
        return (String) browser.js("return document.querySelector('whatsapp-qr').shadowRoot.querySelector('.qr')"
                + ".getAttribute('src')");
    }

    private String countdown() {
        return (String) browser.js("return document.querySelector('whatsapp-qr').shadowRoot.querySelector('.count')"
                + ".dataset.seconds");
    }
}
