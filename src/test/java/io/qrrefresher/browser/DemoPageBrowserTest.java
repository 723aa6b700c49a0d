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
            assertThat(browser.js("return document.querySelectorAll('whatsapp-qr').length")).isEqualTo(3L);
            assertThat(browser.screenshot("body", "demo-page")).isNotEmptyFile();
        }
    }
}
