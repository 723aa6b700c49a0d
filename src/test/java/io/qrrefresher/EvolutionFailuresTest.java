package io.qrrefresher;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.refresh.RefreshRun;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Configurations that make a call to Evolution API impossible (an unreachable base URL, no key for a row without a
 * token): each is a clear failure of the instance, never a crash. The answers Evolution may give are route tests
 * (routes/EvolutionFailuresRoutesTest).
 */
@Execution(ExecutionMode.CONCURRENT) // a second service in this JVM, beside the one-at-a-time classes
@ResourceLock("second-service")
@Order(16)
class EvolutionFailuresTest {

    static ScriptedEvolutionApi evolution;

    @BeforeAll
    static void start() throws Exception {
        evolution = ScriptedEvolutionApi.start();
    }

    @AfterAll
    static void stop() {
        evolution.close();
    }

    @Test
    void anUnreachableEvolutionApiIsAFailureNotACrash() throws Exception {
        try (RunningService unreachable = RunningService.against(evolution)
                .with("evolution.api.base-url", "http://127.0.0.1:" + io.qrrefresher.support.FreePorts.next())
                .start()) {
            unreachable.db().insertInstance("island", "token", "connecting");

            RefreshRun run = unreachable.refresh();

            assertThat(run.getFailed()).isEqualTo(1);
            assertThat(run.getResults().get(0).error()).contains("Evolution API unavailable: connection refused");
        }
    }

    @Test
    void anInstanceWithoutAnyApikeyFailsWithoutACall() throws Exception {
        try (RunningService keyless = RunningService.against(evolution).with("evolution.api-key", null).start()) {
            evolution.addInstance("tokenless", "token-t", State.CONNECTING);
            keyless.db().insertInstance("tokenless", null, "connecting");

            RefreshRun run = keyless.refresh();

            assertThat(run.getResults().get(0).error()).contains("no apikey (");
            assertThat(evolution.calls(EvolutionCall.CONNECTION_STATE, "tokenless")).isZero();
        }
    }
}
