package io.qrrefresher.ops;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import io.qrrefresher.config.Setting;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * deploy/kubernetes: every manifest validates against the Kubernetes and prometheus-operator models (their JSON
 * schemas, and their TypeScript types, which refuse an unknown field), with the npm packages .ci/run installs
 * (src/test/kubernetes); and the manifests agree with the service: the same rules as monitoring/, secrets read through
 * the service's own {@code _FILE} settings, settings it knows, a read-only root with /tmp writable.
 */
// beside the other test classes: it runs node, nothing in this JVM is shared
@Execution(ExecutionMode.CONCURRENT)
@Order(30)
class KubernetesManifestsTest {

    static final Path MANIFESTS = Path.of("deploy/kubernetes");
    static final Path VALIDATOR = Path.of("src/test/kubernetes");

    @TempDir
    Path work;

    record Result(int exitCode, String output) {
    }

    @Test
    void theManifestsValidateAndATypoDoesNot() throws Exception {
        assumeTrue(Files.isDirectory(VALIDATOR.resolve("node_modules")), "SKIPPED: the Kubernetes models are not"
                + " installed (cd src/test/kubernetes && npm ci; .ci/run does it)");

        Result shipped = validate(MANIFESTS);
        assertThat(shipped.exitCode()).as(shipped.output()).isZero();
        assertThat(shipped.output()).contains("checked deployment.yaml: apps/v1/Deployment",
                "checked service.yaml: v1/Service", "checked poddisruptionbudget.yaml: policy/v1/PodDisruptionBudget",
                "checked servicemonitor.yaml: monitoring.coreos.com/v1/ServiceMonitor",
                "checked prometheusrule.yaml: monitoring.coreos.com/v1/PrometheusRule",
                "checked configmap.yaml: v1/ConfigMap", "checked secret.example.yaml: v1/Secret");

        // what kubectl apply -k sends (Kubernetes' own kustomize, when kubectl is here): built from the README's secret
        // files, it validates too, and the Deployment mounts the generated Secret
        if (new File("/usr/bin/kubectl").canExecute()) {
            Path built = kustomized(work.resolve("built"));
            Result kustomized = validate(built);
            assertThat(kustomized.exitCode()).as(kustomized.output()).isZero();
            assertThat(kustomized.output()).contains("apps/v1/Deployment", "v1/Secret", "PrometheusRule");
            String manifests = Files.readString(built);
            Matcher secret = Pattern.compile("kind: Secret\n(?:.*\n)*?  name: (qr-refresher-[a-z0-9]+)\n")
                    .matcher(manifests);
            assertThat(secret.find()).as(manifests).isTrue();
            assertThat(manifests).contains("secretName: " + secret.group(1));
        } else {
            System.out.println("KubernetesManifestsTest: no kubectl here: kustomize's output is NOT checked");
        }

        // the same check refuses a field Kubernetes does not know, and a wrong type
        Path broken = Files.createDirectories(work.resolve("broken"));
        try (Stream<Path> files = Files.list(MANIFESTS)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, broken.resolve(file.getFileName()));
            }
        }
        String deployment = Files.readString(broken.resolve("deployment.yaml"));
        assertThat(deployment).contains("\n  replicas: 2\n", "runAsNonRoot: true");
        Files.writeString(broken.resolve("deployment.yaml"), deployment.replace("\n  replicas: 2\n", "\n  replica: 2\n"));
        Files.writeString(broken.resolve("poddisruptionbudget.yaml"), Files.readString(broken
                .resolve("poddisruptionbudget.yaml")).replace("minAvailable: 1", "minAvailable: [1]"));
        Result refused = validate(broken);
        assertThat(refused.exitCode()).as(refused.output()).isEqualTo(1);
        assertThat(refused.output()).contains("PROBLEM").contains("'\"replica\"' does not exist")
                .contains("poddisruptionbudget.yaml");
    }

    @Test
    @SuppressWarnings("unchecked")
    void theManifestsAgreeWithTheService() throws Exception {
        Map<String, Object> kustomization = load("kustomization.yaml").get(0);
        List<String> resources = (List<String>) kustomization.get("resources");
        Set<String> files;
        try (Stream<Path> list = Files.list(MANIFESTS)) {
            files = list.map(path -> path.getFileName().toString()).filter(name -> name.endsWith(".yaml"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        // every manifest is applied by kustomize, but the example Secret (kustomize generates it from files)
        Set<String> expected = new TreeSet<>(resources);
        expected.addAll(List.of("kustomization.yaml", "secret.example.yaml"));
        assertThat(files).isEqualTo(expected);

        // the same rules as monitoring/prometheus/alerts.yml
        Map<String, Object> rules = (Map<String, Object>) new Load(LoadSettings.builder().build())
                .loadFromString(Files.readString(Path.of("monitoring/prometheus/alerts.yml")));
        Map<String, Object> prometheusRule = load("prometheusrule.yaml").get(0);
        assertThat(((Map<String, Object>) prometheusRule.get("spec")).get("groups")).isEqualTo(rules.get("groups"));

        Map<String, Object> pod = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) load(
                "deployment.yaml").get(0).get("spec")).get("template")).get("spec");
        Map<String, Object> container = ((List<Map<String, Object>>) pod.get("containers")).get(0);
        // secrets: each *_FILE is a secret setting of the service, its file a key of the Secret, in both forms
        Set<String> secretKeys = new TreeSet<>(((Map<String, Object>) load("secret.example.yaml").get(0)
                .get("stringData")).keySet());
        Set<String> generated = new TreeSet<>();
        for (Map<String, Object> generator : (List<Map<String, Object>>) kustomization.get("secretGenerator")) {
            for (String file : (List<String>) generator.get("files")) {
                generated.add(file.substring(0, file.indexOf('=')));
            }
        }
        assertThat(generated).isEqualTo(secretKeys);
        Set<String> mounted = new TreeSet<>();
        for (Map<String, Object> variable : (List<Map<String, Object>>) container.get("env")) {
            String name = (String) variable.get("name");
            if (name.endsWith("_FILE")) {
                assertThat(Setting.SECRETS).as(name).anyMatch(secret -> (secret.env() + "_FILE").equals(name));
                String value = (String) variable.get("value");
                assertThat(value).startsWith("/run/secrets/qr-refresher/");
                mounted.add(value.substring(value.lastIndexOf('/') + 1));
            }
        }
        assertThat(mounted).isEqualTo(secretKeys);
        // the ConfigMap sets only what the service knows, and opens the management port to the kubelet
        Map<String, Object> config = (Map<String, Object>) load("configmap.yaml").get(0).get("data");
        Set<String> known = java.util.Arrays.stream(Setting.values()).map(Setting::env).collect(Collectors.toSet());
        assertThat(config.keySet()).allSatisfy(key -> assertThat(known).as(key).contains(key));
        assertThat(config).containsEntry("MANAGEMENT_BIND", "0.0.0.0");
        // probes on the service's own health, a read-only root with /tmp writable, no privileges
        assertThat(container.get("livenessProbe").toString()).contains("/observe/health/live");
        assertThat(container.get("readinessProbe").toString()).contains("/observe/health/ready");
        Map<String, Object> security = (Map<String, Object>) container.get("securityContext");
        assertThat(security).containsEntry("readOnlyRootFilesystem", true)
                .containsEntry("allowPrivilegeEscalation", false);
        assertThat(container.get("volumeMounts").toString()).contains("mountPath=/tmp");
        assertThat(((Map<String, Object>) pod.get("securityContext"))).containsEntry("runAsNonRoot", true)
                .containsEntry("runAsUser", 10001);
        // the image kustomize sets is the container's
        String image = (String) container.get("image");
        assertThat(((List<Map<String, Object>>) kustomization.get("images")).get(0).get("name"))
                .isEqualTo(image.substring(0, image.indexOf(':')));
    }

    /** kubectl kustomize of a copy of the manifests, with the secret files the README's commands make. */
    private static Path kustomized(Path folder) throws Exception {
        Files.createDirectories(folder.resolve("secrets"));
        try (Stream<Path> files = Files.list(MANIFESTS)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                Files.copy(file, folder.resolve(file.getFileName()));
            }
        }
        for (String secret : List.of("admin-token", "database-password", "evolution-api-key",
                "evolution-webhook-token", "viewer-token-secret")) {
            Files.writeString(folder.resolve("secrets").resolve(secret), "0123456789abcdef0123456789abcdef");
        }
        Process process = new ProcessBuilder("/usr/bin/kubectl", "kustomize", folder.toString())
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return Files.writeString(folder.resolveSibling("kustomized.yaml"), output);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> load(String file) throws IOException {
        List<Map<String, Object>> documents = new ArrayList<>();
        for (Object document : new Load(LoadSettings.builder().build()).loadAllFromString(
                Files.readString(MANIFESTS.resolve(file)))) {
            if (document != null) {
                documents.add((Map<String, Object>) document);
            }
        }
        return documents;
    }

    private static Result validate(Path folder) throws Exception {
        File node = new File("/usr/bin/node");
        String program = node.canExecute() ? node.getPath() : "node";
        Process process = new ProcessBuilder(program, VALIDATOR.resolve("validate.mjs").toAbsolutePath().toString(),
                folder.toAbsolutePath().toString(), "secret.example.yaml").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), output);
    }
}
