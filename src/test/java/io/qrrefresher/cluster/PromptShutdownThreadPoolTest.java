package io.qrrefresher.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Quartz thread pool of both schedulers: its shutdown returns without joining its workers (Quartz's own pool
 * joins them, and an idle one notices only at its next 500 ms poll), and a job still running is not cut short.
 */
class PromptShutdownThreadPoolTest {

    @Test
    void shutdownReturnsWithoutWaitingAndARunningJobStillEnds() throws Exception {
        PromptShutdownThreadPool pool = new PromptShutdownThreadPool();
        pool.setThreadCount(2);
        pool.setThreadNamePrefix("prompt-shutdown-test");
        pool.initialize();
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean ended = new AtomicBoolean();
        assertThat(pool.runInThread(() -> {
            started.countDown();
            try {
                release.await();
                ended.set(true);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        })).isTrue();
        started.await();

        // Quartz's SimpleThreadPool would wait here for the job (and for every idle worker's poll)
        CompletableFuture<Void> shutdown = CompletableFuture.runAsync(() -> pool.shutdown(true));
        await().until(shutdown::isDone);
        assertThat(ended).isFalse();

        release.countDown();
        await().untilTrue(ended);
    }
}
