package io.qrrefresher.bench;

import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.demo.EvolutionSimulator.Reply;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.DebianTool;
import io.qrrefresher.support.FreePorts;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped alert rules through a continuous Evolution API outage, in a real Prometheus scraping a real service:
 * every alert that fires fires once (no flap through the breaker's half-open probes) and resolves after the recovery.
 * The rules' durations are divided by {@link #SCALE} (for: 1m becomes 6 s, rate[5m] 30 s, the 120 s QR age 12 s), and
 * Prometheus scrapes and evaluates every second: a 10-minute outage plays in one. Prints, per alert, when it fired
 * and resolved, and how many times it fired.
 * <p>
 * {@code mvn -B test -Pbenchmark -Dtest=AlertDrillBenchmark} (Debian's prometheus; about 3 minutes).
 */
@Tag("benchmark")
class AlertDrillBenchmark {

    static final int SCALE = 10;
    static final Duration OUTAGE = Duration.ofSeconds(Integer.getInteger("bench.drill.outage-seconds", 75));
    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void anOutageFiresEachAlertOnceAndResolvesIt() throws Exception {
        File prometheus = DebianTool.require("/usr/bin/prometheus", "prometheus", "AlertDrillBenchmark");
        // QR codes rotate as WhatsApp's do, at the rules' scale (45 s / SCALE): a healthy QR is never older than the
        // scaled threshold
        try (ScriptedEvolutionApi evolution = ScriptedEvolutionApi.start(io.qrrefresher.demo.EvolutionSimulator
                .builder().rotation(Duration.ofMillis(45_000 / SCALE), Duration.ofMillis(200)));
             RunningService service = RunningService.against(evolution)
                     .with("qr.refresh.cron", "*/2 * * * * ?")
                     .with("evolution.timeout-ms", "1000")
                     .with("evolution.circuit.open-duration", "PT10S").start()) {
            for (int i = 0; i < 10; i++) {
                evolution.addInstance("drill-" + i, "token-" + i, State.CONNECTING);
                evolution.rotate("drill-" + i);
                service.db().insertInstance("drill-" + i, "token-" + i, "connecting");
            }
            int port = FreePorts.next();
            Path rules = Files.writeString(work.resolve("alerts.yml"), scaled(Files.readString(
                    Path.of("monitoring/prometheus/alerts.yml"))));
            Path config = Files.writeString(work.resolve("prometheus.yml"), String.join("\n",
                    "global: {scrape_interval: 1s, evaluation_interval: 1s}",
                    "rule_files: ['" + rules + "']",
                    "scrape_configs:",
                    "  - job_name: qr-refresher",
                    "    metrics_path: /observe/metrics",
                    "    static_configs: [{targets: ['127.0.0.1:" + service.managementUrl("/").getPort() + "']}]",
                    ""));
            Process server = new ProcessBuilder(prometheus.getPath(), "--config.file=" + config,
                    "--storage.tsdb.path=" + Files.createDirectories(work.resolve("data")),
                    "--web.listen-address=127.0.0.1:" + port).redirectErrorStream(true)
                    .redirectOutput(work.resolve("prometheus.log").toFile()).start();
            URI api = URI.create("http://127.0.0.1:" + port);
            try {
                await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                        .until(() -> query(api, "up{job=\"qr-refresher\"}").contains("\"1\""));
                Instant healthy = Instant.now();
                // a healthy baseline in Prometheus: 15 samples of fresh QR ages, and no alert firing
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(1)).until(() ->
                        query(api, "count_over_time(qr_refresher_oldest_connecting_qr_age_seconds[30s]) >= 15")
                                .contains("\"value\"") && !query(api, "ALERTS").contains("\"alertname\""));

                Instant outage = Instant.now();
                evolution.failEveryCall(Reply.json(503, Map.of("status", 503, "error", "Service Unavailable")));
                // the outage lasts its length: the drill's one fixed duration
                await().atMost(OUTAGE.plusSeconds(5)).pollDelay(OUTAGE).until(() -> true);
                Instant recovery = Instant.now();
                evolution.clearFaults();
                // until every alert has resolved (the drill fails if one never does)
                await().atMost(Duration.ofMinutes(3)).pollDelay(Duration.ofSeconds(5)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> !query(api, "ALERTS").contains("\"alertname\""));
                Instant end = Instant.now();

                Map<String, List<Instant[]>> episodes = firingEpisodes(api, healthy, end);
                System.out.printf("[figures] outage %d s (%d min at the rules' scale), recovery at +%d s%n",
                        OUTAGE.toSeconds(), OUTAGE.toSeconds() * SCALE / 60, OUTAGE.toSeconds());
                episodes.forEach((alert, runs) -> runs.forEach(run -> System.out.printf(
                        "[figures] %-34s fired %d time(s): at outage +%3d s, resolved at recovery %+4d s%n", alert,
                        runs.size(), Duration.between(outage, run[0]).toSeconds(),
                        Duration.between(recovery, run[1]).toSeconds())));
                assertThat(episodes).containsKey("evolution_api_unreachable");
                // each resolved: the wait above ends only once no alert fires
                episodes.forEach((alert, runs) -> assertThat(runs).as(alert + " fires once").hasSize(1));
            } finally {
                server.destroy();
                server.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /** The rules with every duration divided by SCALE, and the QR age threshold (seconds) too. */
    static String scaled(String rules) {
        Matcher minutes = Pattern.compile("(for: |\\[)(\\d+)m\\b").matcher(rules);
        StringBuilder out = new StringBuilder();
        while (minutes.find()) {
            minutes.appendReplacement(out, minutes.group(1) + (Integer.parseInt(minutes.group(2)) * 60 / SCALE) + "s");
        }
        minutes.appendTail(out);
        return out.toString().replace("qr_refresher_oldest_connecting_qr_age_seconds) > 120",
                "qr_refresher_oldest_connecting_qr_age_seconds) > " + 120 / SCALE);
    }

    /** Each alert's firing periods ([first, last firing second]), from Prometheus' ALERTS series, second by second. */
    static Map<String, List<Instant[]>> firingEpisodes(URI api, Instant from, Instant to) throws Exception {
        String url = api + "/api/v1/query_range?query=" + URLEncoder.encode("ALERTS{alertstate=\"firing\"}",
                StandardCharsets.UTF_8) + "&start=" + from.getEpochSecond() + "&end=" + to.getEpochSecond()
                + "&step=1";
        JsonNode result = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body()).at("/data/result");
        Map<String, List<Instant[]>> episodes = new TreeMap<>();
        for (JsonNode series : result) {
            String alert = series.at("/metric/alertname").asText();
            List<Instant[]> runs = episodes.computeIfAbsent(alert, name -> new ArrayList<>());
            long previous = Long.MIN_VALUE;
            for (JsonNode point : series.get("values")) {
                long t = point.get(0).asLong();
                if (t > previous + 2) {
                    runs.add(new Instant[] {Instant.ofEpochSecond(t), null});
                }
                // its last firing second: every alert has resolved by then (the drill waited for it)
                runs.get(runs.size() - 1)[1] = Instant.ofEpochSecond(t);
                previous = t;
            }
        }
        return episodes;
    }

    private static String query(URI api, String expression) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(api + "/api/v1/query?query="
                + URLEncoder.encode(expression, StandardCharsets.UTF_8))).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
