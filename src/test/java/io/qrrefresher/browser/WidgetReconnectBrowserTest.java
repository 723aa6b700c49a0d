package io.qrrefresher.browser;

import java.time.Duration;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The widget's stream drops (the service restarts): it says so, and comes back by itself with the current code. */
class WidgetReconnectBrowserTest {

    static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aStreamThatDropsShowsReconnectingAndRecoversByItself() throws Exception {
        try (Browser browser = Browser.start();
             ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start();
             PageServer site = new PageServer()) {
            RunningService first = RunningService.against(evolution)
                    .with("cors.allowed-origins", site.origin())
                    .with("qr.refresh.on-request", "true")
                    .start();
            RunningService second = first.again();
            try {
                evolution.addInstance("w-drop", "token-w-drop", State.CONNECTING);
                evolution.rotate("w-drop");
                first.db().insertInstance("w-drop", "token-w-drop", "connecting");
                String server = first.url("").toString();
                browser.open(site.put("/drop.html", "<!doctype html><html><head><meta charset=utf-8>"
                        + "<script>window.states = [];"
                        + " document.addEventListener('qr-state', e => window.states.push(e.detail.state));</script>"
                        + "<script type=module src='" + server + "/widget/whatsapp-qr.js'></script></head><body>"
                        + "<whatsapp-qr instance='w-drop' token='" + RunningService.viewerToken("w-drop")
                        + "' server='" + server + "'></whatsapp-qr></body></html>"));
                await().atMost(WAIT).untilAsserted(() -> assertThat(state(browser)).as("%s", browser.js("return window.states")).isEqualTo("scan"));

                first.close();
                // the page says the service cannot be reached (not a bare "reconnecting" for ever)
                await().atMost(WAIT).until(() -> "unreachable".equals(state(browser)));
                evolution.rotate("w-drop"); // a new code while the service was away
                second.start();
                second.refresh();

                await().atMost(WAIT).until(() -> "scan".equals(state(browser))
                        && second.db().instance("w-drop").get("qr_code").equals(image(browser)));
                assertThat(second.bean(io.qrrefresher.stream.QrStreams.class).clientsOf("w-drop")).isEqualTo(1);
            } finally {
                second.close();
                first.close();
            }
        }
    }

    private static String state(Browser browser) {
        return (String) browser.js("const w = document.querySelector('whatsapp-qr'); return w && w.getAttribute('state')");
    }

    private static String image(Browser browser) {
        return (String) browser.js("return document.querySelector('whatsapp-qr').shadowRoot.querySelector('.qr')"
                + ".getAttribute('src')");
    }
}
