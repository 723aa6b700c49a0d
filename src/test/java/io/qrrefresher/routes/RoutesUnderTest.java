package io.qrrefresher.routes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Properties;

import io.qrrefresher.db.Database;
import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.refresh.RefreshRuns;
import io.qrrefresher.support.Db;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;

/**
 * What a route test of the refresh drives, in the CamelContext of {@code @CamelMainTest}: the service's routes and
 * beans, its database, and the real HTTP Evolution API on loopback the routes call.
 * <pre>{@code
 * static final ScriptedEvolutionApi EVOLUTION = RoutesUnderTest.evolutionFor("my-test", new Properties());
 * @BeforeEach void routes() { routes = new RoutesUnderTest(context, EVOLUTION); }
 * @AfterEach void empty() { routes.empty(); }
 * }</pre>
 */
final class RoutesUnderTest {

    private final ProducerTemplate template;
    private final Db db;
    private final ScriptedEvolutionApi evolution;

    RoutesUnderTest(CamelContext context, ScriptedEvolutionApi evolution) {
        this.template = context.createProducerTemplate();
        this.db = new Db(context.getRegistry().findSingleByType(Database.class).dataSource());
        this.evolution = evolution;
    }

    /**
     * Starts an Evolution API for the test class named {@code name} and writes its properties
     * (target/route-tests/{name}.properties, {@link RouteTestSupport#writeProperties}): the routes call it with the
     * global key, plus {@code extra}.
     */
    static ScriptedEvolutionApi evolutionFor(String name, Properties extra) {
        ScriptedEvolutionApi evolution;
        try {
            evolution = ScriptedEvolutionApi.start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Properties properties = new Properties();
        properties.setProperty("evolution.api.base-url", evolution.baseUrl().toString());
        properties.setProperty("evolution.api-key", ScriptedEvolutionApi.GLOBAL_KEY);
        properties.putAll(extra);
        RouteTestSupport.writeProperties(name, properties);
        return evolution;
    }

    Db db() {
        return db;
    }

    /** Runs the route refresh-run once, as a manual refresh does, and returns the run. */
    RefreshRun refresh() {
        Exchange exchange = template.send("direct:refresh-run", ex -> ex.setProperty("trigger", RefreshRun.MANUAL));
        if (exchange.getException() != null) {
            throw new AssertionError("refresh-run failed", exchange.getException());
        }
        return exchange.getProperty(RefreshRuns.RUN_PROPERTY, RefreshRun.class);
    }

    /** An instance waiting for a scan: Evolution shows it connecting with a first QR, its row says connecting. */
    void connectingInstanceWithQr(String name) {
        instance(name, State.CONNECTING);
        evolution.rotate(name);
    }

    /** An instance in the given Evolution state whose row says connecting; its token is {@code token-<name>}. */
    void instance(String name, State evolutionState) {
        evolution.addInstance(name, "token-" + name, evolutionState);
        db.insertInstance(name, "token-" + name, "connecting");
    }

    /** After each test: no rows, no faults scripted. */
    void empty() {
        evolution.clearFaults();
        db.update("DELETE FROM evolution_instances");
    }
}
