package io.qrrefresher.ops;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.impl.VertxInternal;

/**
 * Proves the HTTP event loops turn: a plain thread (not Vert.x's) posts a task to every Vert.x event loop each second
 * and each task records when it ran. An event loop that has not run its task for {@link #STALLED_AFTER} is blocked: the
 * API and the stream no longer answer, so liveness must fail and the orchestrator restart the process.
 */
public final class EventLoopProbe implements AutoCloseable {

    public static final Duration STALLED_AFTER = Duration.ofSeconds(10);

    private final Clock clock;
    private final List<EventExecutor> loops = new ArrayList<>();
    private volatile Instant[] lastRun;
    private ScheduledExecutorService ticker;

    public EventLoopProbe(Clock clock) {
        this.clock = clock;
    }

    /** Starts probing every event loop of {@code vertx}. */
    public void start(Vertx vertx) {
        ((VertxInternal) vertx).getEventLoopGroup().forEach(loops::add);
        Instant now = clock.instant();
        Instant[] runs = new Instant[loops.size()];
        java.util.Arrays.fill(runs, now);
        lastRun = runs;
        ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "event-loop-probe");
            thread.setDaemon(true);
            return thread;
        });
        ticker.scheduleWithFixedDelay(this::post, 1, 1, TimeUnit.SECONDS);
    }

    private void post() {
        for (int i = 0; i < loops.size(); i++) {
            int loop = i;
            loops.get(i).execute(() -> lastRun[loop] = clock.instant());
        }
    }

    /** The longest time an event loop has not run its probe; zero before the probe starts. */
    public Duration longestStall() {
        Instant[] runs = lastRun;
        if (runs == null) {
            return Duration.ZERO;
        }
        Instant now = clock.instant();
        Duration longest = Duration.ZERO;
        for (Instant run : runs) {
            Duration stall = Duration.between(run, now);
            if (stall.compareTo(longest) > 0) {
                longest = stall;
            }
        }
        return longest;
    }

    @Override
    public void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
    }
}
