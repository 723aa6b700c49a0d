package io.qrrefresher.refresh;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

import io.qrrefresher.config.Settings;
import io.qrrefresher.evolution.EvolutionCall.Unanswered;
import io.qrrefresher.refresh.RefreshDecisions.InstanceRefresh;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An instance whose server's calls were all under way (EVOLUTION_SERVER_CONCURRENCY): the first pass makes no call
 * for it; the second pass waits for the budget only within one QR lifetime of the run's start; what is still left is
 * deferred to the next run, not counted as failed. An open breaker until the end is still a failure.
 */
class DeferredRefreshTest {

    static final Settings.Refresh SETTINGS = Settings.load(Map.<String, String>of()::get).refresh();

    @Test
    void aBusyServersInstanceIsDeferredToTheNextRunNotFailed() {
        RefreshRun run = run(Duration.ofSeconds(45));
        InstanceRefresh busy = RefreshDecisionsTest.DECISIONS.begin(instance("busy", false), run);
        InstanceRefresh open = RefreshDecisionsTest.DECISIONS.begin(instance("open", false), run);
        assertThat(busy.getBudgetWait()).as("first pass: in the server's queue").isEqualTo("QUEUED");

        busy.unavailable(new Unanswered(Unanswered.SERVER_BUSY, "busy", true));
        open.unavailable(new Unanswered(Unanswered.CIRCUIT_OPEN, "open", true));
        run.record(busy);
        run.record(open);
        run.countShortCircuitedAsFailed();

        assertThat(busy.isDeferred()).isTrue();
        assertThat(open.isDeferred()).isFalse();
        assertThat(run.getDeferred()).isEqualTo(1);
        assertThat(run.getFailed()).isEqualTo(1);
        assertThat(run.getTotal()).as("a deferred instance is the next run's").isEqualTo(1);
    }

    @Test
    void theSecondPassWaitsForTheBudgetOnlyWithinOneQrLifetimeOfTheRunsStart() {
        assertThat(RefreshDecisionsTest.DECISIONS.begin(instance("again", true), run(Duration.ofSeconds(45)))
                .getBudgetWait()).isEqualTo("QUEUED");
        assertThat(RefreshDecisionsTest.DECISIONS.begin(instance("late", true), run(Duration.ZERO)).getBudgetWait())
                .as("the run is older than a QR lifetime").isEqualTo("NEVER");
    }

    private static RefreshRun run(Duration qrLifetime) {
        return new RefreshRun(RefreshRun.SCHEDULE, Instant.now(), "replica-1", Duration.ofSeconds(42), 0, SETTINGS,
                qrLifetime);
    }

    private static ConnectingInstance instance(String name, boolean secondPass) {
        ConnectingInstance instance = new ConnectingInstance();
        instance.setInstanceId(name.length());
        instance.setInstanceName(name);
        instance.setInstanceToken("token-" + name);
        instance.setSecondPass(secondPass);
        return instance;
    }
}
