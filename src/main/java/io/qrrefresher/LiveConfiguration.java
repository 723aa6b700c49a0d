package io.qrrefresher;

import java.time.Clock;

import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.config.Settings;
import io.qrrefresher.events.ListenerWatchdog;
import io.qrrefresher.events.QrEvents;
import io.qrrefresher.evolution.EvolutionServers;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.metrics.QrMetrics;
import io.qrrefresher.stream.AuthFailures;
import io.qrrefresher.stream.PhonePairings;
import io.qrrefresher.stream.QrRenewals;
import io.qrrefresher.stream.QrStreams;
import io.qrrefresher.stream.StreamAccess;
import io.qrrefresher.stream.WidgetScript;
import io.qrrefresher.common.Languages;
import io.qrrefresher.config.InvalidSettingException;
import io.qrrefresher.config.Setting;
import io.qrrefresher.webhook.WebhookEvents;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;

/**
 * Push and real time (routes/evolution-webhooks.yaml, routes/qr-events.yaml): Evolution's webhooks in, the events
 * heard on the LISTEN connection ({@link ListenerConfiguration}), and the live QR stream out.
 */
public final class LiveConfiguration implements CamelConfiguration {

    @BindToRegistry("qrEvents")
    public QrEvents qrEvents(ListenerWatchdog watchdog) {
        return new QrEvents(watchdog);
    }

    /** The live QR stream; its HTTP handler is installed once Camel's HTTP server runs (ServiceLifecycle). */
    @BindToRegistry("qrStreams")
    public QrStreams qrStreams(Settings settings, StreamAccess access, AuthFailures authFailures, QrMetrics metrics) {
        QrStreams streams = new QrStreams(settings.stream(), settings.widget(),
                settings.events().streamHeartbeatMillis(), access, authFailures, metrics, Clock.systemUTC());
        metrics.gauge("qr_refresher.stream.clients", "Live QR stream connections", null, streams::clients);
        metrics.gauge("qr_refresher.stream.pending", "Live QR stream openings being authorised", null,
                streams::pending);
        return streams;
    }

    /**
     * "Get a new code" (POST /instances/{name}/qr/renew) and "link with phone number instead" (POST
     * /instances/{name}/qr/pairing-code); installed with the stream (ServiceLifecycle).
     */
    @BindToRegistry("qrRenewals")
    public QrRenewals qrRenewals(Settings settings, StreamAccess access, AuthFailures authFailures) {
        return new QrRenewals(settings.widget(), settings.stream().maxPending(), access, authFailures,
                Clock.systemUTC());
    }

    /** Walks a pairing-code request through the route request-pairing-code. */
    @BindToRegistry("phonePairings")
    public PhonePairings phonePairings(EvolutionServers servers, QrContent qrContent) {
        return new PhonePairings(servers, qrContent);
    }

    /**
     * The texts of the link pages and the widget: en, pt-BR, es, and the languages of LANGUAGES_DIR (a bad file stops
     * the start, naming it).
     */
    @BindToRegistry("languages")
    public Languages languages(Settings settings) {
        try {
            return Languages.load(settings.linkPage().languagesDir());
        } catch (IllegalArgumentException e) {
            throw new InvalidSettingException(Setting.LANGUAGES_DIR, e.getMessage().replaceFirst("^LANGUAGES_DIR:? ?",
                    ""));
        }
    }

    /** The QR widget's script (GET /widget/whatsapp-qr.js), carrying every language's texts. */
    @BindToRegistry("widgetScript")
    public WidgetScript widgetScript(Languages languages) {
        return new WidgetScript(languages);
    }

    @BindToRegistry("webhookEvents")
    public WebhookEvents webhookEvents(Settings settings, QrContent qrContent, AlertSignals alerts,
                                       QrMetrics metrics, EvolutionServers servers) {
        return new WebhookEvents(settings.events().qrLifetime(), qrContent, alerts, metrics, Clock.systemUTC(),
                servers);
    }
}
