package io.qrrefresher.browser;

import java.nio.file.Path;
import java.time.Duration;

import io.qrrefresher.support.FreePorts;
import io.qrrefresher.support.RunningService;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** What a new user sees first: GET / of the demo shows the three demo instances live, in a real browser. */
class DemoPageBrowserTest {

    @TempDir
    Path dataDir;

    @Test
    void theDemoPageShowsTheDemoInstancesLive() throws Exception {
        try (Browser browser = Browser.start();
             RunningService demo = RunningService.bare()
                     .with("admin.token", null)
                     .with("evolution.timeout-ms", null)
                     .with("embedded.postgres.data-dir", dataDir.toString())
                     .with("embedded.postgres.port", String.valueOf(FreePorts.next()))
                     .start()) {
            demo.post("/refresh-qr-codes", io.qrrefresher.demo.DemoMode.ADMIN_TOKEN);

            browser.open(demo.url("/").toString());

            // demo-storefront and demo-support show a code (demo-sales too, once its one connect brought a code)
            await().atMost(Duration.ofSeconds(30)).until(() -> ((Number) browser.js(
                    "return [...document.querySelectorAll('whatsapp-qr')]"
                            + ".filter(w => w.getAttribute('state') === 'scan').length")).intValue() >= 2);
            assertThat(browser.js("return document.querySelectorAll('whatsapp-qr').length")).isEqualTo(4L);
            assertThat(browser.js("return [...document.querySelectorAll('h2')].map(h => h.textContent).join('|')"))
                    .asString().contains("Server default · Evolution 2.3.7", "Server preview · Evolution 2.4.0-rc2");
            assertThat(browser.screenshot("body", "demo-page")).isNotEmptyFile();

            // the operators' wall of the same demo: a card per Evolution server, then the instances
            browser.open(demo.url("/wall").toString());
            browser.driver().findElement(org.openqa.selenium.By.id("token"))
                    .sendKeys(io.qrrefresher.demo.DemoMode.ADMIN_TOKEN + org.openqa.selenium.Keys.ENTER);
            await().atMost(Duration.ofSeconds(30)).until(() -> ((Number) browser.js(
                    "return document.querySelectorAll('#servers .server').length")).intValue() == 2);
            String cards = String.valueOf(browser.js(
                    "return [...document.querySelectorAll('#servers .server')].map(c => c.innerText).join('|')"));
            assertThat(cards).contains("default", "Evolution 2.3.7", "preview", "waiting", "% with a valid QR")
                    .doesNotContain(io.qrrefresher.demo.DemoMode.EVOLUTION_API_KEY);
            // the preview server's first minute: its licence gate is closed (its version unknown until it opens)
            assertThat(cards.contains("Licence gate closed (503 LICENSE_REQUIRED)") || cards.contains(
                    "Evolution 2.4.0-rc2")).as(cards).isTrue();
            assertThat(browser.screenshotWindow("wall-servers", 1280, 720)).isNotEmptyFile();
        }
    }
}
