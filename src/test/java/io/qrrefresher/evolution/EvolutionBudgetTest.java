package io.qrrefresher.evolution;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qrrefresher.config.Settings.EvolutionServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * One server's budget of two calls: a refresh queues behind as many refreshes as the budget, beyond that only for a
 * short patience (served if a call ends meanwhile), a late
 * refresh takes a free permit or none, a person's request waits up to the timeout and then gives up, a permit given
 * back serves the next one, and another server's budget is its own.
 */
class EvolutionBudgetTest {

    final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    final EvolutionBudget budget = new EvolutionBudget(new EvolutionServers(List.of(
            new EvolutionServer("br1", URI.create("http://127.0.0.1:1"), Optional.empty()),
            new EvolutionServer("br2", URI.create("http://127.0.0.1:2"), Optional.empty()))), 2, 30_000, 200, registry);
    final ExecutorService waiters = Executors.newCachedThreadPool();

    @AfterEach
    void stop() {
        waiters.shutdownNow();
    }

    @Test
    void aRefreshQueuesBehindAtMostTheBudgetThenWaitsOnlyItsPatience() throws Exception {
        assertThat(budget.enter("br1", "QUEUED")).isTrue();
        assertThat(budget.enter("br1", "QUEUED")).isTrue();
        assertThat(inFlight("br1")).isEqualTo(2);
        assertThat(budget.enter("br1", "NEVER")).as("a late refresh: no permit free").isFalse();

        // two refreshes wait (the budget's worth); a third waits its patience only, then is turned away
        Future<Boolean> first = waiters.submit(() -> budget.enter("br1", "QUEUED"));
        Future<Boolean> second = waiters.submit(() -> budget.enter("br1", "QUEUED"));
        await().until(() -> queued("br1") == 2);
        assertThat(budget.enter("br1", "QUEUED")).as("no permit came back within its patience").isFalse();
        assertThat(budget.enter("br2", "QUEUED")).as("another server's budget is its own").isTrue();

        budget.leave("br1");
        budget.leave("br1");
        assertThat(first.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(second.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(inFlight("br1")).isEqualTo(2);
    }

    /** A busy but quick server: a refresh beyond the queue gets the permit of a call that ends within its patience. */
    @Test
    void aRefreshBeyondTheQueueIsServedByACallThatEndsWithinItsPatience() throws Exception {
        EvolutionBudget patient = new EvolutionBudget(new EvolutionServers(List.of(
                new EvolutionServer("br1", URI.create("http://127.0.0.1:1"), Optional.empty()))), 1, 30_000, 30_000,
                new SimpleMeterRegistry());
        assertThat(patient.enter("br1", "QUEUED")).isTrue();
        CountDownLatch started = new CountDownLatch(2);
        Future<Boolean> queued = waiters.submit(() -> {
            started.countDown();
            return patient.enter("br1", "QUEUED");
        });
        Future<Boolean> beyond = waiters.submit(() -> {
            started.countDown();
            return patient.enter("br1", "QUEUED");
        });
        started.await();
        patient.leave("br1");
        // one of the two has the permit; the other still waits: the permit of the next call to end is its
        await().until(() -> queued.isDone() || beyond.isDone());
        patient.leave("br1");
        assertThat(queued.get(10, TimeUnit.SECONDS)).isTrue();
        assertThat(beyond.get(10, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void aPersonsRequestWaitsBeyondTheQueueAndGivesUpAfterTheTimeout() throws Exception {
        EvolutionBudget quick = new EvolutionBudget(new EvolutionServers(List.of(
                new EvolutionServer("br1", URI.create("http://127.0.0.1:1"), Optional.empty()))), 1, 200,
                new SimpleMeterRegistry());
        assertThat(quick.enter("br1", "ALWAYS")).isTrue();
        CountDownLatch queued = new CountDownLatch(1);
        Future<Boolean> refresh = waiters.submit(() -> {
            queued.countDown();
            return quick.enter("br1", "QUEUED");
        });
        queued.await();
        // the queue may be full: a person's request still waits, then gives up when no permit comes back
        assertThat(CompletableFuture.supplyAsync(() -> {
            try {
                return quick.enter("br1", "ALWAYS");
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }, waiters).get(10, TimeUnit.SECONDS)).isFalse();
        assertThat(refresh.get(10, TimeUnit.SECONDS)).as("the queued refresh timed out too").isFalse();

        quick.leave("br1");
        assertThat(quick.enter("br1", "NEVER")).as("the permit given back serves the next call").isTrue();
    }

    private int inFlight(String server) {
        return (int) registry.get("qr_refresher.evolution.calls.in.flight").tag("server", server).gauge().value();
    }

    private int queued(String server) {
        return (int) registry.get("qr_refresher.evolution.calls.waiting").tag("server", server).gauge().value();
    }
}
