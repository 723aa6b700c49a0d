package io.qrrefresher.ops;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;


import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks of the monitoring pack (monitoring/), run by OperationsTest on a service it has started: Debian's
 * promtool accepts the alert rules; every metric the rules and the Grafana
 * dashboard use is in a scrape of the running service; and the rules fire, in promtool's rule tests, on series whose
 * labels are taken from that scrape. Skipped, loudly, without promtool (apt-get install -y prometheus).
 */
final class MonitoringPack {

    static final File PROMTOOL = new File("/usr/bin/promtool");
    static final Path RULES = Path.of("monitoring/prometheus/alerts.yml").toAbsolutePath();
    static final Path DASHBOARD = Path.of("monitoring/grafana/dashboards/qr-refresher.json");
    static final Pattern METRIC = Pattern.compile("\\b((?:qr_refresher|resilience4j)_[a-z0-9_]+)\\b");
    static final Pattern SERIES_LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)})?\\s+(\\S+)");

    private final Path folder;

    MonitoringPack(Path folder) {
        this.folder = folder;
    }

    /**
     * Checks the pack against {@code scrape}, a scrape of a running service after a refresh run and with its circuit
     * breaker open (taken by OperationsTest, which has such a service: one service start less).
     */
    void check(String scrape) throws Exception {
        if (!PROMTOOL.canExecute()) {
            System.out.println("SKIPPED the monitoring pack's checks: " + PROMTOOL + " is missing (apt-get install -y"
                    + " prometheus; .ci/run installs it)");
            return;
        }
        assertThat(promtool("check", "rules", RULES.toString())).contains("SUCCESS");

        Set<String> exported = new TreeSet<>();
        scrape.lines().map(SERIES_LINE::matcher).filter(Matcher::find).forEach(m -> exported.add(m.group(1)));
        Set<String> used = new TreeSet<>();
        for (Path file : new Path[] {RULES, DASHBOARD}) {
            Matcher matcher = METRIC.matcher(Files.readString(file));
            while (matcher.find()) {
                used.add(matcher.group(1));
            }
        }
        assertThat(used).hasSizeGreaterThan(8);
        assertThat(exported).as("the metrics the rules and the dashboard use, in a scrape").containsAll(used);

        // promtool's rule tests, on the label sets of the real scrape (plus the job and instance Prometheus adds)
        Map<String, String> breaker = labels(scrape, "resilience4j_circuitbreaker_state", "state=\"open\"");
        breaker.put("instance", "qr-refresher:9876");
        breaker.put("job", "qr-refresher");
        Map<String, String> ageLabels = labels(scrape, "qr_refresher_oldest_connecting_qr_age_seconds", "");
        ageLabels.put("instance", "qr-refresher:9876");
        ageLabels.put("job", "qr-refresher");
        Path tests = Files.writeString(folder.resolve("alerts.test.yml"), String.join("\n",
                "rule_files: ['" + RULES + "']",
                "evaluation_interval: 1m",
                "tests:",
                "  - interval: 1m",
                "    input_series:",
                "      - series: '" + series("resilience4j_circuitbreaker_state", breaker) + "'",
                "        values: '1x10'",
                "      - series: '" + series("qr_refresher_oldest_connecting_qr_age_seconds", ageLabels) + "'",
                "        values: '300x10'",
                "    alert_rule_test:",
                "      - eval_time: 30s",
                "        alertname: EvolutionCircuitOpen",
                "        exp_alerts: []",
                "      - eval_time: 2m",
                "        alertname: EvolutionCircuitOpen",
                "        exp_alerts:",
                "          - exp_labels: " + yaml(with(breaker, "severity", "critical")),
                "            exp_annotations:",
                "              summary: 'Evolution API circuit breaker evolution-api is open on qr-refresher:9876'",
                "              description: 'Most recent calls to Evolution API failed; no calls are made until trial"
                        + " calls succeed.'",
                "      - eval_time: 6m",
                "        alertname: QrCodesStale",
                "        exp_alerts:",
                "          - exp_labels: {instance: 'qr-refresher:9876', severity: warning}",
                "            exp_annotations:",
                "              summary: 'A waiting instance has had no new QR for 5m 0s'",
                "              description: 'QR codes live about 45 s. Check Evolution API (webhooks arriving? circuit"
                        + " breaker?), the refresh run history (GET /refresh-runs) and the operators'' wall (/wall).'",
                ""));
        assertThat(promtool("test", "rules", tests.toString())).contains("SUCCESS");
    }

    /** The labels of the first series of {@code name} whose label text contains {@code containing}. */
    private static Map<String, String> labels(String scrape, String name, String containing) {
        for (String line : scrape.lines().toList()) {
            Matcher m = SERIES_LINE.matcher(line);
            if (m.find() && m.group(1).equals(name) && (m.group(3) == null ? "" : m.group(3)).contains(containing)) {
                Map<String, String> labels = new LinkedHashMap<>();
                if (m.group(3) != null) {
                    Matcher pair = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(m.group(3));
                    while (pair.find()) {
                        labels.put(pair.group(1), pair.group(2));
                    }
                }
                return labels;
            }
        }
        throw new AssertionError("no " + name + " series with " + containing + " in the scrape");
    }

    private static Map<String, String> with(Map<String, String> labels, String key, String value) {
        Map<String, String> copy = new LinkedHashMap<>(labels);
        copy.put(key, value);
        return copy;
    }

    private static String series(String name, Map<String, String> labels) {
        StringBuilder text = new StringBuilder(name).append('{');
        labels.forEach((key, value) -> text.append(text.charAt(text.length() - 1) == '{' ? "" : ",")
                .append(key).append("=\"").append(value).append('"'));
        return text.append('}').toString();
    }

    private static String yaml(Map<String, String> labels) {
        StringBuilder text = new StringBuilder("{");
        labels.forEach((key, value) -> text.append(text.length() == 1 ? "" : ", ").append(key).append(": '")
                .append(value.replace("'", "''")).append('\''));
        return text.append('}').toString();
    }

    private String promtool(String... arguments) throws Exception {
        String[] command = new String[arguments.length + 1];
        command[0] = PROMTOOL.getPath();
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }
}
