package io.qrrefresher.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.camel.BindToRegistry;

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
    void aRouteWithoutAnErrorPolicyIsNamed() throws Exception {
        List<String> problems = load(yaml -> yaml.replace("""
                    id: refresh-qr-codes
                    routeConfigurationId: retry-on-next-trigger
                """, """
                    id: refresh-qr-codes
                """));

        assertThat(problems).containsExactly(
                "route 'refresh-qr-codes' names no routeConfigurationId (error-policy.yaml)");
    }

    @Test
    void theEvolutionServerTemplateUnderAnotherIdIsNamed() throws Exception {
        List<String> problems = load(yaml -> yaml.replace("id: evolution-server\n", "id: evolution-node\n"));

        assertThat(problems).singleElement().asString().startsWith("no route template 'evolution-server'");
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

    /**
     * Every bean method the routes call ({@code ${bean:name.method}}, {@code ref:} with {@code method:}) is the only
     * candidate Camel can bind: one public method of that name, and for a getter no method named after its property.
     * Camel's bean binding may take {@code qrLimitRepeats(Exchange)} for {@code getQrLimitRepeats}, depending on the
     * order the JVM lists methods in: the failure check then compared the closes with null and never alerted, in
     * some runs of the service and not others.
     */
    @Test
    void everyBeanMethodTheRoutesCallIsTheOnlyOneCamelCanBind() throws Exception {
        Map<String, Class<?>> beans = boundBeans();
        Set<String> calls = new TreeSet<>();
        for (Path file : routeFiles()) {
            String yaml = Files.readString(file);
            Matcher inline = Pattern.compile("bean:(\\w+)\\.(\\w+)").matcher(yaml);
            while (inline.find()) {
                calls.add(inline.group(1) + "." + inline.group(2));
            }
            Matcher step = Pattern.compile("ref: (\\w+)\\s+method: (?:>-\\s+|\")?(\\w+)").matcher(yaml);
            while (step.find()) {
                calls.add(step.group(1) + "." + step.group(2));
            }
        }
        assertThat(calls).hasSizeGreaterThan(40);

        List<String> problems = new ArrayList<>();
        for (String call : calls) {
            String bean = call.substring(0, call.indexOf('.'));
            assertThat(beans).as("bean '%s' bound by a configuration class", bean).containsKey(bean);
            problems.addAll(RouteContract.bindingProblems(beans.get(bean), call.substring(call.indexOf('.') + 1)));
        }
        assertThat(problems).isEmpty();
    }

    /**
     * Every value a route reads comes as written from application.properties (or the environment): a key the routes
     * read is one {@code Settings} validates as the routes will use it, or one the service sets itself.
     */
    @Test
    void everyKeyTheRoutesReadIsASettingValidatedForThem() throws Exception {
        Set<String> read = new TreeSet<>();
        Pattern key = Pattern.compile("\\{\\{([a-z0-9.-]+)}}|\\$\\{properties:([a-z0-9.-]+)}");
        for (Path file : routeFiles()) {
            Matcher matcher = key.matcher(Files.readString(file));
            while (matcher.find()) {
                read.add(matcher.group(1) != null ? matcher.group(1) : matcher.group(2));
            }
        }
        // the parameters of route templates ({{server}}) are given by the service for each route it makes
        try (DefaultCamelContext context = contextWith(yaml -> yaml)) {
            context.getCamelContextExtension().getContextPlugin(Model.class).getRouteTemplateDefinitions()
                    .forEach(template -> template.getTemplateParameters()
                            .forEach(parameter -> read.remove(parameter.getName())));
        }
        Set<String> expected = new TreeSet<>(io.qrrefresher.config.Setting.SET_BY_THE_SERVICE);
        io.qrrefresher.config.Setting.READ_BY_ROUTES.forEach(setting -> expected.add(setting.key()));
        assertThat(read).isEqualTo(expected);

        java.util.Properties shipped = new java.util.Properties();
        try (var in = Files.newBufferedReader(Path.of("application.properties"))) {
            shipped.load(in);
        }
        assertThat(io.qrrefresher.config.Setting.READ_BY_ROUTES).allSatisfy(setting ->
                assertThat(shipped.getProperty(setting.key())).as(setting.key()).isNotBlank());
    }

    /**
     * Routes read values with simple's OGNL ({@code ${exchangeProperty.webhookRead.early}}): a public method of no
     * arguments beside another public method of the same name (a record's accessor beside a static factory, say)
     * makes Camel refuse the path at run time with an IllegalArgumentException, on every message.
     */
    @Test
    void noClassOfOursHasAnAccessorThatOgnlCouldMistake() throws Exception {
        List<String> ambiguous = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            for (Path file : files.filter(file -> file.toString().endsWith(".java")).toList()) {
                String name = Path.of("src/main/java").relativize(file).toString().replace('/', '.')
                        .replace(".java", "");
                for (Class<?> type : withNested(Class.forName(name))) {
                    Map<String, Integer> byName = new TreeMap<>();
                    Set<String> accessors = new TreeSet<>();
                    Set<Method> methods = new java.util.HashSet<>(List.of(type.getMethods()));
                    // Camel's OGNL weighs the class's own methods of any visibility (a package-private static
                    // factory beside a record's accessor was enough)
                    methods.addAll(List.of(type.getDeclaredMethods()));
                    for (Method method : methods) {
                        // ours, and not a framework's contract (DataSource.getConnection, HealthCheck.call)
                        if (!method.getDeclaringClass().getName().startsWith("io.qrrefresher")
                                || method.isSynthetic() || implementsForeign(method)) {
                            continue;
                        }
                        byName.merge(method.getName(), 1, Integer::sum);
                        if (method.getParameterCount() == 0) {
                            accessors.add(method.getName());
                        }
                    }
                    accessors.stream().filter(method -> byName.get(method) > 1)
                            .forEach(method -> ambiguous.add(type.getName() + "." + method));
                }
            }
        }
        assertThat(ambiguous).isEmpty();
    }

    /** Whether a supertype outside our packages declares this method (the class fulfils a framework's contract). */
    private static boolean implementsForeign(Method method) {
        List<Class<?>> supertypes = new ArrayList<>(List.of(method.getDeclaringClass().getInterfaces()));
        for (Class<?> type = method.getDeclaringClass().getSuperclass(); type != null; type = type.getSuperclass()) {
            supertypes.add(type);
            supertypes.addAll(List.of(type.getInterfaces()));
        }
        for (int i = 0; i < supertypes.size(); i++) {
            Class<?> type = supertypes.get(i);
            supertypes.addAll(List.of(type.getInterfaces()));
            if (!type.getName().startsWith("io.qrrefresher")) {
                for (Method candidate : type.getMethods()) {
                    if (candidate.getName().equals(method.getName())) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static List<Class<?>> withNested(Class<?> type) {
        List<Class<?>> all = new ArrayList<>(List.of(type));
        for (Class<?> nested : type.getDeclaredClasses()) {
            all.addAll(withNested(nested));
        }
        return all;
    }

    @Test
    void aGetterBesideAMethodNamedAfterItsPropertyIsNamed() {
        assertThat(RouteContract.bindingProblems(TwoCandidates.class, "getRepeats")).containsExactly(
                "TwoCandidates.getRepeats: Camel may bind repeats() instead (a method named after the getter's"
                        + " property)");
        assertThat(RouteContract.bindingProblems(TwoCandidates.class, "record")).containsExactly(
                "TwoCandidates.record: 2 public methods of that name (Camel chooses among them by the message)");
        assertThat(RouteContract.bindingProblems(TwoCandidates.class, "missing")).containsExactly(
                "TwoCandidates.missing: no public method of that name");
        assertThat(RouteContract.bindingProblems(TwoCandidates.class, "getWindow")).isEmpty();
    }

    /** A bean the way StaleQrCheck was. */
    public static final class TwoCandidates {
        public int getRepeats() {
            return 2;
        }

        public void repeats(Object exchange) {
        }

        public long getWindow() {
            return 600;
        }

        public void record(String text) {
        }

        public void record(Integer number) {
        }
    }

    /** Bean name to class, from the @BindToRegistry methods of the configuration classes. */
    private static Map<String, Class<?>> boundBeans() throws IOException, ClassNotFoundException {
        Map<String, Class<?>> beans = new TreeMap<>();
        try (Stream<Path> files = Files.list(Path.of("src/main/java/io/qrrefresher"))) {
            for (Path file : files.filter(file -> file.toString().endsWith("Configuration.java")).toList()) {
                String name = file.getFileName().toString().replace(".java", "");
                for (Method method : Class.forName("io.qrrefresher." + name).getDeclaredMethods()) {
                    BindToRegistry bound = method.getAnnotation(BindToRegistry.class);
                    if (bound != null) {
                        beans.put(bound.value().isEmpty() ? method.getName() : bound.value(), method.getReturnType());
                    }
                }
            }
        }
        return beans;
    }

    private static List<String> load(UnaryOperator<String> edit) throws Exception {
        try (DefaultCamelContext context = contextWith(edit)) {
            Model model = context.getCamelContextExtension().getContextPlugin(Model.class);
            return new ArrayList<>(RouteContract.problems(model.getRouteDefinitions(),
                    model.getRouteTemplateDefinitions().stream().map(template -> template.getId()).toList()));
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
