package io.qrrefresher.ops;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The checks of the monitoring pack (monitoring/), run by OperationsTest on a service it has started, with Debian's
 * promtool and amtool on the files as shipped: prometheus.yml and its rules pass {@code promtool check config}; the
 * shipped rule tests (alerts.test.yml: outages with half-open probes, recoveries) pass {@code promtool test rules};
 * alertmanager.yml passes {@code amtool check-config}; every metric the rules, their tests and the dashboard use is in
 * a scrape of the running service, and the tests' series carry the labels the real ones have; the dashboard is
 * importable. Skipped, loudly, without the tools (apt-get install -y prometheus prometheus-alertmanager).
 */
final class MonitoringPack {

    static final File PROMTOOL = new File("/usr/bin/promtool");
    static final Path RULES = Path.of("monitoring/prometheus/alerts.yml").toAbsolutePath();
    static final File AMTOOL = new File("/usr/bin/amtool");
    static final Path RULE_TESTS = Path.of("monitoring/prometheus/alerts.test.yml").toAbsolutePath();
    static final Path ALERTMANAGER = Path.of("monitoring/alertmanager/alertmanager.yml").toAbsolutePath();
    static final Pattern TEST_SERIES = Pattern.compile("series: '([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})'");
    static final Path DASHBOARD = Path.of("monitoring/grafana/dashboards/qr-refresher.json");
    static final Pattern METRIC = Pattern.compile("\\b((?:qr_refresher|resilience4j)_[a-z0-9_]+)\\b");
    static final Pattern SERIES_LINE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)})?\\s+(\\S+)");

    /**
     * Checks the pack against {@code scrape}, a scrape of a running service after a refresh run and with its circuit
     * breaker open (taken by OperationsTest, which has such a service: one service start less).
     */
    void check(String scrape) throws Exception {
        if (!PROMTOOL.canExecute() || !AMTOOL.canExecute()) {
            System.out.println("SKIPPED the monitoring pack's checks: " + PROMTOOL + " or " + AMTOOL + " is missing"
                    + " (apt-get install -y prometheus prometheus-alertmanager; .ci/run installs them)");
            return;
        }
        // as shipped, from where they are shipped: paths in them are relative to their folder
        assertThat(run(RULES.getParent(), PROMTOOL, "check", "config", "prometheus.yml")).contains("SUCCESS");
        assertThat(run(RULES.getParent(), PROMTOOL, "test", "rules", "alerts.test.yml")).contains("SUCCESS");
        assertThat(run(ALERTMANAGER.getParent(), AMTOOL, "check-config", "alertmanager.yml")).contains("SUCCESS");

        Map<String, Set<String>> exported = new TreeMap<>();
        scrape.lines().map(SERIES_LINE::matcher).filter(Matcher::find).forEach(m -> exported
                .computeIfAbsent(m.group(1), name -> new TreeSet<>()).addAll(labelsOf(m.group(3)).keySet()));
        Set<String> used = new TreeSet<>();
        for (Path file : new Path[] {RULES, RULE_TESTS, DASHBOARD}) {
            Matcher matcher = METRIC.matcher(Files.readString(file));
            while (matcher.find()) {
                used.add(matcher.group(1));
            }
        }
        // the alerts' own names are no metrics
        Matcher alert = Pattern.compile("- alert: (\\S+)").matcher(Files.readString(RULES));
        while (alert.find()) {
            used.remove(alert.group(1));
        }
        assertThat(used).hasSizeGreaterThan(8);
        assertThat(exported.keySet()).as("the metrics the rules, their tests and the dashboard use, in a scrape")
                .containsAll(used);
        // the rule tests' series have the labels of the real ones (plus those Prometheus adds)
        Matcher series = TEST_SERIES.matcher(Files.readString(RULE_TESTS));
        int checked = 0;
        while (series.find()) {
            if (series.group(1).equals("up")) {
                continue;
            }
            Set<String> keys = new TreeSet<>(labelsOf(series.group(2)).keySet());
            keys.removeAll(Set.of("instance", "job"));
            assertThat(exported.get(series.group(1))).as(series.group()).isNotNull().containsAll(keys);
            checked++;
        }
        assertThat(checked).isGreaterThan(8);
        checkDashboard();
    }

    /** Importable into any Grafana: a declared data source input, data source and replica variables, thresholds. */
    private static void checkDashboard() throws Exception {
        JsonNode dashboard = new ObjectMapper().readTree(DASHBOARD.toFile());
        assertThat(dashboard.at("/__inputs/0/type").asText()).isEqualTo("datasource");
        Map<String, String> variables = new TreeMap<>();
        dashboard.at("/templating/list").forEach(v -> variables.put(v.path("name").asText(), v.path("type").asText()));
        assertThat(variables).containsEntry("datasource", "datasource").containsEntry("instance", "query");
        assertThat(dashboard.toString()).doesNotContain("\"uid\":\"prometheus\"");
        for (JsonNode panel : dashboard.path("panels")) {
            String title = panel.path("title").asText();
            assertThat(panel.at("/datasource/uid").asText()).as(title).isEqualTo("${datasource}");
            for (JsonNode target : panel.path("targets")) {
                assertThat(target.at("/datasource/uid").asText()).as(title).isEqualTo("${datasource}");
                Matcher metric = METRIC.matcher(target.path("expr").asText());
                while (metric.find()) {
                    assertThat(target.path("expr").asText().substring(metric.end())).as(title)
                            .startsWith("{instance=~\"$instance\"");
                }
            }
            if (panel.path("type").asText().equals("stat")) {
                assertThat(panel.at("/fieldConfig/defaults/thresholds/steps").size()).as(title).isGreaterThan(1);
            }
        }
    }

    private static Map<String, String> labelsOf(String text) {
        Map<String, String> labels = new LinkedHashMap<>();
        if (text != null) {
            Matcher pair = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=~?\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(text);
            while (pair.find()) {
                labels.put(pair.group(1), pair.group(2));
            }
        }
        return labels;
    }

    private static String run(Path folder, File tool, String... arguments) throws Exception {
        String[] command = new String[arguments.length + 1];
        command[0] = tool.getPath();
        System.arraycopy(arguments, 0, command, 1, arguments.length);
        Process process = new ProcessBuilder(command).directory(folder.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }
}
