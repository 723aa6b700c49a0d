package io.qrrefresher.browser;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.QrImagesTest;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The link page ({@link LinkPageBrowserTest} runs it in Chromium) in Debian's Firefox ESR, driven over WebDriver BiDi
 * ({@link Firefox}): on a desktop the QR the window shows decodes, from a screenshot, to the stored code, its countdown
 * agrees with {@code qr_expires_at}, a rotation shows the next; at a phone's width the page leads with the phone number.
 */
@Execution(ExecutionMode.CONCURRENT) // a second service in this JVM, beside the one-at-a-time classes
@ResourceLock("second-service")
@Order(19)
class LinkPageFirefoxTest {

    static final Duration WAIT = Duration.ofSeconds(30);
    static final String STATE = "document.querySelector('whatsapp-qr')?.getAttribute('state')";
    static final String IMAGE = "document.querySelector('whatsapp-qr')?.shadowRoot.querySelector('.qr')"
            + ".getAttribute('src') || ''";
    static final String COUNTDOWN = "document.querySelector('whatsapp-qr').shadowRoot.querySelector('.count')"
            + ".dataset.seconds || null";

    @TempDir
    Path home;

    @Test
    void theQrAWindowShowsDecodesToTheStoredCodeAndAPhonesWidthLeadsWithThePhoneNumber() throws Exception {
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             RunningService service = RunningService.against(evolution).with("qr.refresh.on-request", "true")
                     .with("link.page-title", "Acme Chat").start();
             Firefox firefox = Firefox.start(home)) {
            evolution.addInstance("l-firefox", "token-l-firefox", State.CONNECTING);
            evolution.rotate("l-firefox");
            service.db().insertInstance("l-firefox", "token-l-firefox", "connecting");
            await().atMost(WAIT).until(() -> service.db().instance("l-firefox").get("qr_code") != null);
            HttpResponse<String> made = service.send(HttpRequest.newBuilder(service.url("/instances/l-firefox/link"))
                    .header("Authorization", "Bearer " + RunningService.ADMIN_TOKEN)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"lang\": \"es\"}")).build());
            assertThat(made.statusCode()).as(made.body()).isEqualTo(200);
            String url = new ObjectMapper().readTree(made.body()).path("url").asText();

            firefox.viewport(1000, 900, 1);
            firefox.open(url);
            await().atMost(WAIT).until(() -> "scan".equals(firefox.text(STATE)));
            assertThat(firefox.text("navigator.userAgent")).contains("Firefox/");
            assertThat(firefox.text("document.documentElement.lang")).isEqualTo("es");
            await().atMost(WAIT).until(() -> stored(service).equals(firefox.text(IMAGE)));
            Timestamp expires = (Timestamp) service.db().instance("l-firefox").get("qr_expires_at");
            long expected = (long) Math.ceil((expires.getTime() - Instant.now().toEpochMilli()) / 1000.0);
            assertThat(Long.parseLong(firefox.text(COUNTDOWN))).isBetween(expected - 1, expected + 1);
            // what the window shows, read as a phone's camera would: the stored code (once Firefox painted it: the
            // image's src is set before its pixels are on screen)
            String code = QrImagesTest.decode(stored(service));
            byte[][] window = new byte[1][];
            await().atMost(WAIT).until(() -> {
                window[0] = firefox.screenshot();
                return code.equals(decodedOrNull(window[0]));
            });
            Files.write(Files.createDirectories(Path.of(System.getProperty("screenshots", "target/screenshots")))
                    .resolve("link-firefox-es.png"), window[0]);

            String first = firefox.text(IMAGE);
            evolution.rotate("l-firefox");
            service.refresh();
            await().atMost(WAIT).until(() -> !first.equals(firefox.text(IMAGE))
                    && stored(service).equals(firefox.text(IMAGE)));

            firefox.viewport(390, 844, 2);
            firefox.reload();
            await().atMost(WAIT).until(() -> "phone".equals(firefox.text(STATE)));
            assertThat(firefox.text("document.querySelector('whatsapp-qr').shadowRoot.querySelector('form').hidden"))
                    .isEqualTo("false");
        }
    }

    private static String decodedOrNull(byte[] png) throws Exception {
        try {
            return QrImagesTest.decodeInPicture(png);
        } catch (com.google.zxing.ReaderException e) {
            return null;
        }
    }

    private static String stored(RunningService service) {
        Object qr = service.db().instance("l-firefox").get("qr_code");
        return qr == null ? "" : qr.toString();
    }
}
