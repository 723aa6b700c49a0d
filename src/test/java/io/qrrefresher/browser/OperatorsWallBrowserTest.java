package io.qrrefresher.browser;

import java.time.Duration;

import io.qrrefresher.evolution.QrImages;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The operators' wall in headless Chromium, with 500 instances waiting for a scan. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OperatorsWallBrowserTest {

    static final int INSTANCES = 500;
    static final Duration WAIT = Duration.ofSeconds(30);

    Browser browser;
    ScriptedEvolutionApi evolution;
    RunningService service;

    @BeforeAll
    void start() throws Exception {
        browser = Browser.start();
        evolution = ScriptedEvolutionApi.start();
        // the wall shows what the database holds: nothing refreshes these rows during the test
        service = RunningService.against(evolution).with("qr.refresh.on-request", "false").start();
        String[] images = new String[20];
        for (int i = 0; i < images.length; i++) {
            images[i] = QrImages.dataUrl("2@wall-" + i + "," + System.nanoTime());
        }
        try (java.sql.Connection connection = service.dataSource().getConnection()) {
            service.db().update("INSERT INTO evolution_instances (instance_name, instance_token, instance_status,"
                    + " qr_code, last_qr_update, qr_expires_at) SELECT 'customer-' || lpad(g::text, 3, '0'),"
                    + " 'token-' || g, 'connecting', CASE WHEN g % 25 = 0 THEN NULL ELSE (?::text[])[1 + g % 20] END,"
                    + " now() - make_interval(secs => g % 50), now() + make_interval(secs => 45 - g % 50)"
                    + " FROM generate_series(1, " + INSTANCES + ") g", connection.createArrayOf("text", images));
        }
        service.db().update("UPDATE qr_refresher.instance_state s SET consecutive_failures = 3, last_error ="
                + " 'instance does not exist in Evolution API (HTTP 404)', last_error_at = now()"
                + " FROM evolution_instances e WHERE e.id = s.instance_id AND e.instance_name IN"
                + " ('customer-007', 'customer-123', 'customer-321')");
        assertThat(service.post("/refresh-control/pause", RunningService.ADMIN_TOKEN).statusCode()).isEqualTo(200);
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable closeable : new AutoCloseable[] {browser, service, evolution}) {
            if (closeable != null) {
                closeable.close();
            }
        }
    }

    @Test
    void fiveHundredInstancesLiveWithTheFailingOnesFirstAndThePauseSaid() throws Exception {
        browser.open(service.url("/wall").toString());
        // the admin token is typed into the page, never put in a URL
        browser.driver().findElement(By.id("token")).sendKeys(RunningService.ADMIN_TOKEN + Keys.ENTER);

        await().atMost(WAIT).until(() -> Long.valueOf(INSTANCES).equals(
                browser.js("return document.querySelectorAll('#grid .card').length")));
        assertThat(browser.js("return [...document.querySelectorAll('#grid .card h2')].slice(0, 3)"
                + ".map(h => h.textContent).join()")).isEqualTo("customer-007,customer-123,customer-321");
        assertThat(browser.js("return document.querySelector('#grid .card').classList.contains('failing')"))
                .isEqualTo(true);
        assertThat((String) browser.js("return document.querySelector('#grid .card .error').textContent"))
                .contains("HTTP 404");
        assertThat((String) browser.js("return document.querySelector('.banner.paused').textContent"))
                .contains("paused");
        assertThat((String) browser.js("return document.getElementById('summary').textContent"))
                .startsWith(INSTANCES + " waiting · 3 failing");
        assertThat(browser.js("return document.querySelectorAll('#grid .card img[src^=\"data:image/png\"]').length"))
                .isEqualTo((long) (INSTANCES - INSTANCES / 25));
        assertThat(browser.js("return sessionStorage.length")).isEqualTo(1L);
        assertThat(browser.screenshotWindow("operators-wall", 1280, 800)).isNotEmptyFile();

        // a new QR appears on its card by the next poll; a paired instance leaves the wall
        String rotated = QrImages.dataUrl("2@wall-rotated," + System.nanoTime());
        service.db().update("UPDATE evolution_instances SET qr_code = ?, last_qr_update = now(),"
                + " qr_expires_at = now() + interval '45 seconds' WHERE instance_name = 'customer-042'", rotated);
        service.db().update("UPDATE evolution_instances SET instance_status = 'open', qr_code = NULL"
                + " WHERE instance_name = 'customer-043'");
        await().atMost(WAIT).until(() -> rotated.equals(browser.js("return [...document.querySelectorAll('#grid .card')]"
                + ".find(c => c.querySelector('h2').textContent === 'customer-042').querySelector('img').src")));
        await().atMost(WAIT).until(() -> Long.valueOf(INSTANCES - 1).equals(
                browser.js("return document.querySelectorAll('#grid .card').length")));

        // a 96 px thumbnail does not scan: its button (keyboard: Enter) shows the code large, and it decodes
        String code = "2@wall-rotated";
        browser.js("[...document.querySelectorAll('#grid .card')].find(c => c.querySelector('h2').textContent"
                + " === 'customer-042').querySelector('.enlarge').focus()");
        browser.driver().switchTo().activeElement().sendKeys(Keys.ENTER);
        await().atMost(WAIT).until(() -> Boolean.TRUE.equals(browser.js("return document.getElementById('enlarged').open")));
        assertThat(browser.js("return document.getElementById('enlargedName').textContent")).isEqualTo("customer-042");
        assertThat(((Number) browser.js("return document.getElementById('enlargedImage').getBoundingClientRect().width"))
                .doubleValue()).isGreaterThanOrEqualTo(300);
        java.nio.file.Path shot = browser.screenshot("#enlargedImage", "wall-enlarged");
        assertThat(io.qrrefresher.evolution.QrImagesTest.decode("data:image/png;base64,"
                + java.util.Base64.getEncoder().encodeToString(java.nio.file.Files.readAllBytes(shot))))
                .startsWith(code);
        browser.driver().findElement(By.id("closeEnlarged")).click();
        await().atMost(WAIT).until(() -> Boolean.FALSE.equals(browser.js("return document.getElementById('enlarged').open")));

        // the pause ends: so does its banner
        service.post("/refresh-control/resume", RunningService.ADMIN_TOKEN);
        await().atMost(WAIT).until(() -> Boolean.TRUE.equals(
                browser.js("return document.querySelector('.banner.paused') === null")));
    }

    @Test
    void aWrongTokenIsRefusedAndAskedAgain() {
        browser.open(service.url("/wall").toString());
        browser.js("sessionStorage.clear()");
        browser.open(service.url("/wall").toString());
        browser.driver().findElement(By.id("token")).sendKeys("not-the-admin-token" + Keys.ENTER);

        await().atMost(WAIT).until(() -> "That token was refused.".equals(
                browser.js("return document.getElementById('loginError').textContent")));
        assertThat(browser.js("return document.querySelectorAll('#grid .card').length")).isEqualTo(0L);
        assertThat(browser.js("return sessionStorage.length")).isEqualTo(0L);
    }
}
