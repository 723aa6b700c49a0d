package io.qrrefresher.support;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Samples for benchmarks at a fixed rate on a scheduler of their own, instead of a loop that sleeps between samples:
 * {@link #take} returns once the samples were taken (a window measured by its number of samples), {@link #start}
 * samples until it is closed.
 */
public final class Sampler implements AutoCloseable {

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "sampler");
        thread.setDaemon(true);
        return thread;
    });

    private Sampler() {
    }

    /** Takes {@code count} samples, one every {@code period}, and returns when the last one is done. */
    public static void take(int count, Duration period, ThrowingRunnable sample) throws InterruptedException {
        CountDownLatch done = new CountDownLatch(count);
        try (Sampler sampler = start(period, () -> {
            if (done.getCount() > 0) {
                sample.run();
                done.countDown();
            }
        })) {
            done.await();
        }
    }

    /** Samples every {@code period} (a slow sample delays the next) until closed. */
    public static Sampler start(Duration period, ThrowingRunnable sample) {
        Sampler sampler = new Sampler();
        sampler.scheduler.scheduleWithFixedDelay(() -> {
            try {
                sample.run();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }, 0, period.toNanos(), TimeUnit.NANOSECONDS);
        return sampler;
    }

    /** Stops sampling and waits for a sample in progress. */
    @Override
    public void close() throws InterruptedException {
        scheduler.shutdown();
        scheduler.awaitTermination(1, TimeUnit.MINUTES);
    }

    @FunctionalInterface
    public interface ThrowingRunnable {
        void run() throws Exception;
    }
}
