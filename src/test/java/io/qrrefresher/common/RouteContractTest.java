package io.qrrefresher.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.model.Model;
import org.apache.camel.model.RouteDefinition;
import org.apache.camel.support.PluginHelper;
import org.apache.camel.support.ResourceHelper;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The routes as shipped define every name Java uses; a rename in YAML is reported with the name it broke. */
class RouteContractTest {

    @Test
    void theShippedRoutesDefineEverythingJavaNeeds() throws Exception {
        assertThat(load(yaml -> yaml)).isEmpty();
    }

    @Test
    void aRenamedRouteIdIsNamed() throws Exception {
        List<String> problems = load(yaml -> yaml.replace("id: refresh-qr-codes", "id: my-refresh"));

        assertThat(problems).containsExactly(
                "no route with id 'refresh-qr-codes' (the refresh control pauses, resumes and reschedules it)");
    }

    @Test
    void aRenamedEndpointIsNamedWithTheRoutesThatStillSendToIt() throws Exception {
        List<String> problems = load(yaml -> yaml.replace("uri: direct:record-alert", "uri: direct:save-alert")
                .replace("uri: seda:alert-signals", "uri: seda:alerts"));

        assertThat(problems).containsExactlyInAnyOrder(
                "no route consumes 'seda:alert-signals' (the circuit breaker and 401 answers raise alerts through it)",
                "route 'check-qr-failures' sends to 'direct:record-alert', which no route consumes");
    }

    @Test
    void aCircuitBreakerWithAnotherIdIsNamed() throws Exception {
        List<String> problems = load(yaml -> yaml.replace("id: evolution-api", "id: evolution"));

        assertThat(problems).singleElement().asString().startsWith("no step with id 'evolution-api'");
    }

    @Test
    void theCheckStopsTheStartWithEveryProblemInOneMessage() throws Exception {
        try (DefaultCamelContext context = contextWith(yaml -> yaml.replace("id: listen-qr-events", "id: listen"))) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> RouteContract.check(context))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessage("routes/*.yaml do not match what the service needs: no route with id "
                            + "'listen-qr-events' (the listener watchdog restarts it)");
        }
    }

    private static List<String> load(UnaryOperator<String> edit) throws Exception {
        try (DefaultCamelContext context = contextWith(edit)) {
            List<RouteDefinition> routes = context.getCamelContextExtension().getContextPlugin(Model.class)
                    .getRouteDefinitions();
            return new ArrayList<>(RouteContract.problems(routes));
        }
    }

    /** The YAML routes of routes/, edited, loaded into a context that is never started (no beans needed). */
    private static DefaultCamelContext contextWith(UnaryOperator<String> edit) throws Exception {
        DefaultCamelContext context = new DefaultCamelContext();
        context.build();
        for (Path file : routeFiles()) {
            String yaml = edit.apply(Files.readString(file));
            PluginHelper.getRoutesLoader(context).loadRoutes(
                    ResourceHelper.fromString(file.getFileName().toString(), yaml));
        }
        return context;
    }

    private static List<Path> routeFiles() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("routes"))) {
            return files.filter(file -> file.toString().endsWith(".yaml")).sorted().toList();
        }
    }
}
