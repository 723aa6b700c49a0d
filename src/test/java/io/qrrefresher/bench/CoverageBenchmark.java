package io.qrrefresher.bench;

import java.net.URI;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;

import javax.sql.DataSource;

import io.qrrefresher.demo.EvolutionSimulator;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.FreePorts;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.Sampler;
import io.qrrefresher.support.SharedPostgres;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.awaitility.Awaitility.await;

/**
 * Poll only what webhooks miss, in figures (run with {@code mvn -B test -Pbenchmark -Dtest=CoverageBenchmark}; not
 * part of the normal test run). 100 instances, QR codes rotating every 3 s and pushed by webhook, a run every 2 s,
 * for 60 s: freshness (the share of samples in which the stored QR is the one Evolution shows) and Evolution calls
 * per instance-minute, with coverage on and off. Then, coverage on, webhooks lost for 30 s: freshness during the cut
 * and how soon polling took over. Time is scaled 15x down (45 s rotation, 5 min safety read = 20 s).
 */
@Tag("benchmark")
class CoverageBenchmark {

    static final int INSTANCES = 100;
    static final Duration ROTATION = Duration.ofSeconds(3);
    static final Duration MEASURE = Duration.ofSeconds(60);
    static final Duration CUT = Duration.ofSeconds(30);

    @Test
    void callsAndFreshnessWithCoverageOnAndOff() throws Exception {
        Figures off = measure(false, false);
        Figures on = measure(true, true);
        System.out.printf(Locale.ROOT, "[figures] %d instances, QR every %d s by webhook, a run every 2 s, %d s:%n",
                INSTANCES, ROTATION.toSeconds(), MEASURE.toSeconds());
        System.out.printf(Locale.ROOT, "[figures]   coverage off: %.2f %% fresh, %.1f Evolution calls per"
                + " instance-minute%n", off.freshness * 100, off.callsPerInstanceMinute);
        System.out.printf(Locale.ROOT, "[figures]   coverage on:  %.2f %% fresh, %.1f Evolution calls per"
                + " instance-minute (%.1f %% of off)%n", on.freshness * 100, on.callsPerInstanceMinute,
                100 * on.callsPerInstanceMinute / off.callsPerInstanceMinute);
        System.out.printf(Locale.ROOT, "[figures]   webhooks lost for %d s: %.2f %% fresh during the cut; every"
                + " instance polled %.1f s after the cut (first run with nothing covered)%n", CUT.toSeconds(),
                on.cutFreshness * 100, on.takeOverSeconds);
    }

    record Figures(double freshness, double callsPerInstanceMinute, double cutFreshness, double takeOverSeconds) {
    }

    private static Figures measure(boolean coverage, boolean cut) throws Exception {
        int httpPort = FreePorts.next();
        try (EvolutionSimulator evolution = EvolutionSimulator.builder().globalApiKey("bench")
                .rotation(ROTATION, Duration.ofMillis(500)).qrLimit(1_000_000)
                .webhook(URI.create("http://127.0.0.1:" + httpPort + "/webhooks/evolution?token=" + Webhooks.TOKEN),
                        Duration.ofSeconds(1)).start();
             RunningService service = RunningService.bareAgainst(evolution.baseUrl(), SharedPostgres.newDatabase())
                     .with("http.port", String.valueOf(httpPort))
                     .with("evolution.webhook-token", Webhooks.TOKEN)
                     .with("qr.refresh.on-request", "false")
                     .with("qr.lifetime", "PT3S")
                     .with("qr.refresh.covered", String.valueOf(coverage))
                     .with("qr.covered-for", "PT4S")
                     .with("qr.covered-read-interval", "PT20S")
                     .with("qr.refresh.concurrency", "16")
                     .with("qr.refresh.cron", "*/2 * * * * ?")
                     .start()) {
            List<String> names = IntStream.range(0, INSTANCES).mapToObj(i -> "bench-" + i).toList();
            for (String name : names) {
                evolution.addInstance(name, "token-" + name, State.CONNECTING);
                service.db().insertInstance(name, "token-" + name, "connecting");
            }
            DataSource dataSource = service.dataSource();
            await().atMost(Duration.ofSeconds(30)).until(() -> stored(dataSource).size() == INSTANCES);
            // runs settle: every instance read once by a run, and reached by a webhook
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> service.db()
                    .query("SELECT 1 FROM qr_refresher.instance_state WHERE last_read_at IS NOT NULL"
                            + " AND last_webhook_at IS NOT NULL").size() == INSTANCES);
            evolution.resetCalls();
            double freshness = sampleFreshness(evolution, dataSource, names, MEASURE);
            double calls = evolution.totalCalls() / (double) INSTANCES / (MEASURE.toSeconds() / 60.0);
            if (!cut) {
                return new Figures(freshness, calls, Double.NaN, Double.NaN);
            }
            Instant cutAt = Instant.now();
            evolution.loseWebhooks(true);
            double cutFreshness = sampleFreshness(evolution, dataSource, names, CUT);
            evolution.loseWebhooks(false);
            double takeOver = firstRunPollingEverything(dataSource, cutAt);
            return new Figures(freshness, calls, cutFreshness, takeOver);
        }
    }

    /** Samples every 200 ms, for every instance, whether the stored QR is the one Evolution shows. */
    private static double sampleFreshness(EvolutionSimulator evolution, DataSource dataSource, List<String> names,
                                          Duration duration) throws Exception {
        java.util.concurrent.atomic.AtomicLong samples = new java.util.concurrent.atomic.AtomicLong();
        java.util.concurrent.atomic.AtomicLong fresh = new java.util.concurrent.atomic.AtomicLong();
        Sampler.take((int) (duration.toMillis() / 200), Duration.ofMillis(200), () -> {
            // what Evolution shows first, then what is stored: a QR that rotated while the table was read would
            // otherwise count as stale
            Map<String, String> shown = new HashMap<>();
            for (String name : names) {
                shown.put(name, evolution.currentBase64(name));
            }
            Map<String, String> stored = stored(dataSource);
            for (String name : names) {
                String current = shown.get(name);
                if (current != null && md5(current).equals(stored.get(name))) {
                    fresh.incrementAndGet();
                }
                samples.incrementAndGet();
            }
        });
        return (double) fresh.get() / samples.get();
    }

    private static double firstRunPollingEverything(DataSource dataSource, Instant cutAt) throws Exception {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("SELECT min(started_at) FROM qr_refresher.refresh_runs"
                     + " WHERE trigger = 'schedule' AND covered = 0 AND total_instances > 0"
                     + " AND started_at > '" + cutAt + "'")) {
            rs.next();
            java.sql.Timestamp first = rs.getTimestamp(1);
            return first == null ? Double.NaN : Duration.between(cutAt, first.toInstant()).toMillis() / 1000.0;
        }
    }

    private static String md5(String text) throws Exception {
        return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("MD5")
                .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static Map<String, String> stored(DataSource dataSource) throws Exception {
        Map<String, String> stored = new HashMap<>();
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             // the fingerprints only: shipping 100 images of 20 KB at every sample would load the machine measured
             ResultSet rs = statement.executeQuery("SELECT instance_name, md5(qr_code) FROM evolution_instances"
                     + " WHERE qr_code IS NOT NULL")) {
            while (rs.next()) {
                stored.put(rs.getString(1), rs.getString(2));
            }
        }
        return stored;
    }
}
