package io.qrrefresher.browser;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.DebianTool;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The widget in Debian's Firefox ESR, headless. Debian packages no geckodriver (and nothing may be downloaded at run
 * time), so Firefox runs without WebDriver: it loads a page of another origin with the widget, the page reports what
 * the widget shows to its own server, and holds its load event until the widget shows the QR, so that Firefox's
 * {@code --screenshot} pictures it. Skipped, loudly, without firefox-esr.
 */
class FirefoxWidgetTest {

    static final File FIREFOX = new File("/usr/bin/firefox-esr");

    @TempDir
    Path home;

    @Test
    void firefoxShowsTheCurrentQrWithATrueCountdownFromAnotherOrigin() throws Exception {
        DebianTool.require(FIREFOX.getPath(), "firefox-esr", "FirefoxWidgetTest");
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             PageServer site = new PageServer();
             RunningService service = RunningService.against(evolution)
                     .with("cors.allowed-origins", site.origin()).with("qr.refresh.on-request", "true").start()) {
            evolution.addInstance("ff-scan", "token-ff-scan", State.CONNECTING);
            evolution.rotate("ff-scan");
            service.db().insertInstance("ff-scan", "token-ff-scan", "connecting");
            await().until(() -> service.db().instance("ff-scan").get("qr_code") != null);
            String server = service.url("").toString();
            String page = site.put("/ff.html", "<!doctype html><html><head><meta charset=utf-8>"
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
            Path screenshot = home.resolve("firefox-widget.png");

            Process firefox = new ProcessBuilder(FIREFOX.getPath(), "--headless", "--no-remote", "--profile",
                    Files.createDirectories(home.resolve("profile")).toString(), "--window-size=400,640",
                    "--screenshot", screenshot.toString(), page)
                    .redirectErrorStream(true).redirectOutput(home.resolve("firefox.log").toFile()).start();
            firefox.getOutputStream().close();
            try {
                assertThat(firefox.waitFor(90, TimeUnit.SECONDS)).as("Firefox took its screenshot and quit").isTrue();
            } finally {
                firefox.destroyForcibly();
            }

            List<String> reports = site.reports();
            assertThat(reports).as(Files.readString(home.resolve("firefox.log"))).isNotEmpty();
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
}
