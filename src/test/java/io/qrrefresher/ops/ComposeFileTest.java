package io.qrrefresher.ops;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import io.qrrefresher.config.Setting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Order;
import org.snakeyaml.engine.v2.api.Load;
import org.snakeyaml.engine.v2.api.LoadSettings;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * docker-compose.yml checked by a real Compose implementation ({@code docker-compose config -q}, which needs no Docker
 * engine; .ci/run installs it), and its environment checked against the settings the service knows.
 */
// beside the other test classes: it only runs docker-compose, nothing in this JVM is shared (junit-platform.properties)
@Execution(ExecutionMode.CONCURRENT)
@Order(30)
class ComposeFileTest {

    static final Map<String, String> REQUIRED = Map.of("ADMIN_TOKEN", "t", "EVOLUTION_API_BASE_URL", "http://e:8080",
            "POSTGRES_PASSWORD", "p", "EVOLUTION_API_KEY", "k");

    @Test
    void composeAcceptsTheFileWithAndWithoutProfiles() throws Exception {
        assumeTrue(available(), "docker-compose is not installed (.ci/run installs it): compose file not checked");

        assertThat(compose(REQUIRED, "config", "-q").exitCode()).isZero();
        assertThat(compose(REQUIRED, "--profile", "evolution", "--profile", "hawtio", "--profile", "monitoring",
                "config", "-q").exitCode())
                .isZero();
        Result missing = compose(Map.of("POSTGRES_PASSWORD", "p"), "config", "-q");
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.output()).contains("set ADMIN_TOKEN");
        // no default database password
        Map<String, String> noPassword = new java.util.HashMap<>(REQUIRED);
        noPassword.remove("POSTGRES_PASSWORD");
        Result weak = compose(noPassword, "config", "-q");
        assertThat(weak.exitCode()).isNotZero();
        assertThat(weak.output()).contains("set POSTGRES_PASSWORD");
        // no Evolution API without its key
        Map<String, String> noKey = new java.util.HashMap<>(REQUIRED);
        noKey.remove("EVOLUTION_API_KEY");
        Result keyless = compose(noKey, "config", "-q");
        assertThat(keyless.exitCode()).isNotZero();
        assertThat(keyless.output()).contains("set EVOLUTION_API_KEY");
        // the management port is published on loopback unless asked otherwise
        Result resolved = compose(REQUIRED, "--profile", "evolution", "--profile", "hawtio", "--profile",
                "monitoring", "config");
        assertThat(resolved.output()).contains("127.0.0.1").doesNotContain(":latest", "change-me");
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyVariableGivenToTheServiceIsASettingItKnows() throws Exception {
        Map<String, Object> file;
        try (java.io.InputStream in = new java.io.FileInputStream("docker-compose.yml")) {
            file = (Map<String, Object>) new Load(LoadSettings.builder().build()).loadFromInputStream(in);
        }
        Map<String, Object> service = (Map<String, Object>) ((Map<String, Object>) file.get("services"))
                .get("qr-refresher");
        Set<String> known = Arrays.stream(Setting.values()).map(Setting::env).collect(Collectors.toSet());

        Set<String> given = ((Map<String, Object>) service.get("environment")).keySet();

        assertThat(given).allSatisfy(name -> assertThat(known.contains(name) || name.equals("JAVA_OPTS")
                || (name.endsWith("_FILE") && Setting.SECRETS.stream().anyMatch(secret -> name.equals(secret.env()
                + "_FILE")))).as(name).isTrue());
        assertThat((Map<String, Object>) service.get("depends_on")).containsKey("postgres");
        assertThat(service.get("ports").toString()).contains("8080", "9876");
        // hardened: read-only root with /tmp its one writable place (ContainerEntrypointIT runs it so), no capabilities
        assertThat(service.get("read_only")).isEqualTo(true);
        assertThat(service.get("tmpfs").toString()).contains("/tmp");
        assertThat(service.get("cap_drop").toString()).isEqualTo("[ALL]");
        assertThat(service.get("security_opt").toString()).contains("no-new-privileges:true");
        // every published port but the API's is on loopback, in every service
        Map<String, Object> services = (Map<String, Object>) file.get("services");
        services.forEach((name, definition) -> {
            Object ports = ((Map<String, Object>) definition).get("ports");
            if (ports != null) {
                for (Object port : (List<Object>) ports) {
                    String text = port.toString();
                    assertThat(text.startsWith("127.0.0.1:") || text.startsWith("${MANAGEMENT_BIND:-127.0.0.1}:")
                            || text.equals("${HTTP_PORT:-8080}:8080")).as(name + ": " + text).isTrue();
                }
            }
            // exact versions (PostgreSQL numbers its releases major.minor), never latest or a floating major
            Object image = ((Map<String, Object>) definition).get("image");
            if (image != null && !name.equals("qr-refresher")) {
                assertThat(image.toString()).as(name).matches(".+:v?[0-9]+\\.[0-9]+(\\.[0-9]+)?");
            }
        });
    }

    record Result(int exitCode, String output) {
    }

    private static boolean available() {
        try {
            return new ProcessBuilder("docker-compose", "version").redirectErrorStream(true).start()
                    .waitFor(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }

    private static Result compose(Map<String, String> environment, String... arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("docker-compose", "-f", "docker-compose.yml"));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).directory(new File(".")).redirectErrorStream(true);
        builder.environment().keySet().removeIf(key -> key.matches("ADMIN_TOKEN|EVOLUTION_.*|POSTGRES_.*"));
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(process.exitValue(), output);
    }
}
