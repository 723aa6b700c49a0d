package io.qrrefresher.support;

import java.util.LinkedHashMap;
import java.util.Map;

import io.qrrefresher.demo.EvolutionSimulator.State;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The service and an Evolution API on loopback for one test class: started once, emptied after each test.
 * <pre>{@code @RegisterExtension static final ServiceUnderTest sut = ServiceUnderTest.create().with("key", "value");}</pre>
 */
public final class ServiceUnderTest implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    private final Map<String, String> properties = new LinkedHashMap<>();
    private ScriptedEvolutionApi evolution;
    private RunningService service;

    private ServiceUnderTest() {
    }

    public static ServiceUnderTest create() {
        return new ServiceUnderTest();
    }

    public ServiceUnderTest with(String key, String value) {
        properties.put(key, value);
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        evolution = ScriptedEvolutionApi.start();
        RunningService starting = RunningService.against(evolution);
        properties.forEach(starting::with);
        service = starting.start();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        evolution.clearFaults();
        service.db().update("DELETE FROM evolution_instances");
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        service.close();
        evolution.close();
    }

    public ScriptedEvolutionApi evolution() {
        return evolution;
    }

    public RunningService service() {
        return service;
    }

    public Db db() {
        return service.db();
    }

    /** An instance waiting for a scan: Evolution shows it connecting with a first QR, its row says connecting. */
    public void connectingInstanceWithQr(String name) {
        instance(name, State.CONNECTING);
        evolution.rotate(name);
    }

    /** An instance in the given Evolution state whose row says connecting; its token is {@code token-<name>}. */
    public void instance(String name, State evolutionState) {
        evolution.addInstance(name, "token-" + name, evolutionState);
        service.db().insertInstance(name, "token-" + name, "connecting");
    }
}
