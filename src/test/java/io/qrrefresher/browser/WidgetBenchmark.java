package io.qrrefresher.browser;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;

import io.qrrefresher.demo.EvolutionSimulator;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.FreePorts;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.SharedPostgres;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;

/**
 * The widget's figures (run with {@code mvn -B test -Pbenchmark -Dtest=WidgetBenchmark}; not part of the normal test
 * run): 50 widgets on one page in headless Chromium, QR codes rotating every 3 s and pushed by webhooks; for each new
 * QR, the page measures the time from the webhook's arrival (the stored {@code last_qr_update}, which each event
 * carries) to the new image decoded and drawn (the next animation frame), for the QRs that reach the page once the
 * window began. Browser and service share one clock. (Earlier versions measured from {@code qr_expires_at} less the
 * QR lifetime and from the moment all widgets showed a QR: a QR polled at start-up, whose expiry the service sets at
 * half a lifetime since it cannot know its age, and still decoding when the window began, counted as drawn ~23 s after
 * its webhook: the max of 24 s and the ~60 extra draws of those runs.) The 50 streams go to ten loopback addresses (127.0.0.2 to .11), five each: a browser
 * opens at most six HTTP/1.1 connections per host (in production, HTTP/2 behind a TLS proxy carries them all on one).
 */
@Tag("benchmark")
class WidgetBenchmark {

    static final int WIDGETS = 50;
    static final Duration ROTATION = Duration.ofSeconds(3);
    static final Duration MEASURE = Duration.ofSeconds(60);

    private static List<Double> sorted(List<Number> raw) {
        List<Double> values = new ArrayList<>();
        raw.forEach(value -> values.add(value.doubleValue()));
        Collections.sort(values);
        return values;
    }

    @Test
    void fiftyWidgetsFromWebhookToImageDrawn() throws Exception {
        int httpPort = FreePorts.next();
        try (Browser browser = Browser.start();
             PageServer site = new PageServer();
             EvolutionSimulator evolution = EvolutionSimulator.builder().globalApiKey("bench")
                     .rotation(ROTATION, Duration.ZERO)
                     .webhook(URI.create("http://127.0.0.1:" + httpPort + "/webhooks/evolution?token="
                             + Webhooks.TOKEN), Duration.ofSeconds(1))
                     .start();
             RunningService service = RunningService.bareAgainst(evolution.baseUrl(), SharedPostgres.newDatabase())
                     .with("http.port", String.valueOf(httpPort))
                     .with("evolution.webhook-token", Webhooks.TOKEN)
                     .with("cors.allowed-origins", site.origin())
                     .with("qr.refresh.cron", "0 0 0 1 1 ? 2099")
                     .start()) {
            StringBuilder widgets = new StringBuilder();
            for (int i = 0; i < WIDGETS; i++) {
                String name = "bench-" + i;
                evolution.addInstance(name, "token-" + name, State.CONNECTING);
                service.db().insertInstance(name, "token-" + name, "connecting");
                widgets.append("<whatsapp-qr instance='").append(name).append("' token='")
                        .append(RunningService.viewerToken(name)).append("' server='http://127.0.0.")
                        .append(2 + i % 10).append(':').append(httpPort).append("'></whatsapp-qr>");
            }
            // measured from the QR's store (last_qr_update: when the webhook was written; qr_expires_at is not that
            // time for a polled QR, whose expiry is conservative), for the QRs stored once the window began (a QR of
            // the start-up, still decoding when the window starts, is not one of its rotations)
            String page = site.put("/bench.html", "<!doctype html><html lang=en><head><meta charset=utf-8>"
                    + "<title>Widget benchmark</title>"
                    + "<script>window.samples = []; window.received = []; window.late = []; window.states = [];"
                    + " window.drawn = new Set(); window.windowStart = Infinity; window.stores = {};"
                    + " document.addEventListener('qr-state', e => window.states.push([e.target.getAttribute('instance'),"
                    + "   e.detail.state, Date.now()]));"
                    + " document.addEventListener('qr-change', async e => {"
                    + "   const arrived = Date.parse(e.detail.storedAt);"
                    + "   if (!(arrived >= window.windowStart)) return;"
                    + "   const img = e.target.shadowRoot.querySelector('.qr');"
                    + "   const received = performance.timeOrigin + performance.now() - arrived;"
                    + "   window.received.push(received);"
                    + "   try { await img.decode(); } catch (x) { return; }"
                    + "   requestAnimationFrame(() => { const drawn = performance.timeOrigin + performance.now() - arrived;"
                    + "     window.samples.push(drawn); window.drawn.add(e.target.getAttribute('instance') + ' '"
                    + "       + img.getAttribute('src').slice(-40));"
                    + "     (window.stores[e.target.getAttribute('instance')] ||= []).push(arrived);"
                    + "     if (drawn > 1000) window.late.push({ instance: e.target.getAttribute('instance'),"
                    + "       sent: e.detail.sentAt ? Date.parse(e.detail.sentAt) - arrived : null,"
                    + "       received: Math.round(received), drawn: Math.round(drawn), at: Date.now() }); });"
                    + " });</script>"
                    + "<script type=module src='http://127.0.0.1:" + httpPort + "/widget/whatsapp-qr.js'></script>"
                    + "<style>whatsapp-qr { --wqr-size: 120px; }</style></head><body>" + widgets + "</body></html>");
            browser.open(page);
            await().atMost(Duration.ofSeconds(60)).until(() -> Long.valueOf(WIDGETS).equals(browser.js(
                    "return [...document.querySelectorAll('whatsapp-qr')].filter(w => w.state === 'scan').length")));
            browser.js("window.samples = []; window.received = []; window.late = []; window.states = [];"
                    + " window.drawn = new Set(); window.stores = {}; window.windowStart = Date.now()");
            long rotationsBefore = evolution.rotations();
            // the simulator's rotations and the stores of their webhooks are milliseconds apart: both counted from here
            // the window is counted in events: as many QR events as MEASURE holds rotations, for every widget
            long expected = WIDGETS * (MEASURE.toSeconds() / ROTATION.toSeconds());
            await().atMost(MEASURE.multipliedBy(3)).pollInterval(Duration.ofSeconds(1)).until(() -> ((Number)
                    browser.js("return window.received.length")).longValue() >= expected);
            long rotations = evolution.rotations() - rotationsBefore;
            // one snapshot of what the page measured: samples and distinct images read together
            browser.js("window.snapshot = { samples: window.samples.slice(), drawn: window.drawn.size }");
            @SuppressWarnings("unchecked")
            List<Number> raw = (List<Number>) browser.js("return window.snapshot.samples");
            List<Double> samples = sorted(raw);
            @SuppressWarnings("unchecked")
            List<Double> received = sorted((List<Number>) browser.js("return window.received"));
            String scanning = String.valueOf(browser.js(
                    "return [...document.querySelectorAll('whatsapp-qr')].filter(w => w.state === 'scan').length"));
            long lateDraws = samples.stream().filter(value -> value > 1000).count();
            System.out.printf(Locale.ROOT, "[figures] late draws (more than 1 s after their webhook): %d; each (ms"
                    + " after the QR was stored: sent by the service, received by the page, drawn; at: ms into the"
                    + " window): %s%n", lateDraws, browser.js("return JSON.stringify(window.late.map(l =>"
                    + " ({ ...l, at: l.at - window.windowStart })))"));
            System.out.printf(Locale.ROOT, "[figures] state changes during the window: %s%n",
                    browser.js("return JSON.stringify(window.states.filter(s => s[1] !== 'scan'))"));
            long distinct = ((Number) browser.js("return window.snapshot.drawn")).longValue();
            // per widget, the QRs it drew one rotation apart: a gap of two rotations or more is a QR it never drew
            long missed = ((Number) browser.js("let missed = 0; for (const times of Object.values(window.stores)) {"
                    + " times.sort((a, b) => a - b); for (let i = 1; i < times.length; i++) {"
                    + " missed += Math.max(0, Math.round((times[i] - times[i - 1]) / " + ROTATION.toMillis() + ") - 1); } }"
                    + " return missed;")).longValue();
            System.out.printf(Locale.ROOT, "[figures] draws %d, of %d distinct QR images (a QR drawn twice by one"
                    + " widget: %d); the simulator made %d QRs meanwhile (the last ones' webhooks are in flight when"
                    + " the window ends); rotations a widget never drew (a gap of two rotations between its QRs): %d%n",
                    samples.size(), distinct, samples.size() - distinct, rotations, missed);

            byte[] script = service.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/widget/whatsapp-qr.js")).GET().build())
                    .body().getBytes(StandardCharsets.UTF_8);
            ByteArrayOutputStream zipped = new ByteArrayOutputStream();
            try (GZIPOutputStream gzip = new GZIPOutputStream(zipped)) {
                gzip.write(script);
            }
            System.out.printf(Locale.ROOT, "[figures] %d widgets on one page, QR rotating every %d s with webhooks,"
                    + " %d s: %d new images drawn (expected about %d); webhook arrived -> image drawn: median %.1f ms,"
                    + " p99 %.1f ms, max %.1f ms (of which the event reaching the page's script: median %.1f ms,"
                    + " p99 %.1f ms); %s widgets still showing a QR at the end%n", WIDGETS,
                    ROTATION.toSeconds(), MEASURE.toSeconds(), samples.size(),
                    WIDGETS * MEASURE.toSeconds() / ROTATION.toSeconds(), samples.get(samples.size() / 2),
                    samples.get((int) (samples.size() * 0.99)), samples.get(samples.size() - 1),
                    received.get(received.size() / 2), received.get((int) (received.size() * 0.99)), scanning);
            System.out.printf(Locale.ROOT, "[figures] widget script: %d bytes, %d gzipped%n", script.length,
                    zipped.size());
        }
    }
}
