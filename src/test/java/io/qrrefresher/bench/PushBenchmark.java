package io.qrrefresher.bench;

import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

import javax.sql.DataSource;

import io.qrrefresher.demo.EvolutionSimulator;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.FreePorts;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.Sampler;
import io.qrrefresher.support.SharedPostgres;
import io.qrrefresher.support.SseClient;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;

/**
 * The figures of the push path (run with {@code mvn -B test -Pbenchmark}; not part of the normal test run).
 * <ul>
 * <li>Freshness: the share of time the stored QR is the one Evolution currently shows, with webhooks, and with
 * polling alone. Time is scaled down 15x: QR codes rotate every 3 s and the poll runs every 4 s, the ratio of
 * WhatsApp's 45 s rotation to the default one-minute schedule.</li>
 * <li>Latency from a webhook sent to the live-stream client notified, on loopback.</li>
 * </ul>
 */
@Tag("benchmark")
class PushBenchmark {

    static final Duration ROTATION = Duration.ofSeconds(3);
    static final Duration MEASURE = Duration.ofSeconds(60);

    @Test
    void freshnessWithWebhooksAgainstPollingAlone() throws Exception {
        double pushed = freshness(true);
        double polled = freshness(false);
        System.out.printf(Locale.ROOT, "[figures] freshness over %d s, QR rotating every %d s: webhooks %.2f %%,"
                + " polling alone (every 4 s, the default schedule scaled) %.2f %%%n", MEASURE.toSeconds(),
                ROTATION.toSeconds(), pushed * 100, polled * 100);
    }

    @Test
    void latencyFromWebhookToStreamClient() throws Exception {
        try (EvolutionSimulator evolution = EvolutionSimulator.builder().globalApiKey("bench").start();
             RunningService service = RunningService.bareAgainst(evolution.baseUrl(), SharedPostgres.newDatabase())
                     .with("evolution.webhook-token", Webhooks.TOKEN).start()) {
            service.db().insertInstance("latency", "token-latency", "connecting");
            Webhooks webhooks = new Webhooks(service);
            List<Long> micros = new ArrayList<>();
            try (SseClient client = SseClient.open(service.url("/instances/latency/qr/stream"), "Bearer " + io.qrrefresher.support.RunningService.viewerToken("latency"))) {
                client.next(Duration.ofSeconds(5));
                for (int i = 0; i < 520; i++) {
                    String event = Webhooks.qrEvent("latency", "2@latency-" + i, null);
                    long sent = System.nanoTime();
                    webhooks.post(event);
                    SseClient.Event received = client.next(Duration.ofSeconds(5));
                    if (i >= 20) {
                        micros.add((received.receivedNanos() - sent) / 1000);
                    }
                }
            }
            Collections.sort(micros);
            System.out.printf(Locale.ROOT, "[figures] webhook sent -> stream client notified, %d samples: median %.1f ms,"
                    + " p99 %.1f ms, max %.1f ms%n", micros.size(), micros.get(micros.size() / 2) / 1000.0,
                    micros.get((int) (micros.size() * 0.99)) / 1000.0, micros.get(micros.size() - 1) / 1000.0);
        }
    }

    /** Samples every 20 ms whether the stored QR is the current one. */
    private static double freshness(boolean webhooks) throws Exception {
        int httpPort = FreePorts.next();
        EvolutionSimulator.Builder builder = EvolutionSimulator.builder().globalApiKey("bench")
                .rotation(ROTATION, Duration.ZERO);
        if (webhooks) {
            builder.webhook(URI.create("http://127.0.0.1:" + httpPort + "/webhooks/evolution?token=" + Webhooks.TOKEN),
                    Duration.ofSeconds(1));
        }
        try (EvolutionSimulator evolution = builder.start();
             RunningService service = RunningService.bareAgainst(evolution.baseUrl(), SharedPostgres.newDatabase())
                     .with("http.port", String.valueOf(httpPort))
                     .with("evolution.webhook-token", Webhooks.TOKEN)
                     .with("qr.refresh.cron", "*/4 * * * * ?")
                     .start()) {
            evolution.addInstance("fresh", "token-fresh", State.CONNECTING);
            service.db().insertInstance("fresh", "token-fresh", "connecting");
            DataSource dataSource = service.dataSource();
            await().atMost(Duration.ofSeconds(10)).until(() -> stored(dataSource) != null);
            java.util.concurrent.atomic.AtomicLong current = new java.util.concurrent.atomic.AtomicLong();
            int samples = (int) (MEASURE.toMillis() / 20);
            Sampler.take(samples, Duration.ofMillis(20), () -> {
                String shown = evolution.currentBase64("fresh");
                if (shown != null && shown.equals(stored(dataSource))) {
                    current.incrementAndGet();
                }
            });
            return (double) current.get() / samples;
        }
    }

    private static String stored(DataSource dataSource) throws Exception {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT qr_code FROM evolution_instances WHERE instance_name = 'fresh'");
             ResultSet rs = statement.executeQuery()) {
            return rs.next() ? rs.getString(1) : null;
        }
    }
}
