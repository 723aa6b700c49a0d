package io.qrrefresher.ops;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Liveness sees a blocked event loop, and sees it recover. */
@Execution(ExecutionMode.CONCURRENT) // no service in this JVM: runs beside the in-JVM service tests
@Order(30)
class EventLoopProbeTest {

    @Test
    void aBlockedEventLoopShowsAsAGrowingStall() throws Exception {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2).setBlockedThreadCheckInterval(60_000));
        try (EventLoopProbe probe = new EventLoopProbe(Clock.systemUTC())) {
            probe.start(vertx);
            await().atMost(Duration.ofSeconds(10)).until(() -> probe.longestStall().compareTo(Duration.ofSeconds(1)) < 0
                    && probe.longestStall().toMillis() > 0);
            CountDownLatch release = new CountDownLatch(1);
            vertx.getOrCreateContext().runOnContext(blocked -> {
                try {
                    release.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            await().atMost(Duration.ofSeconds(20)).until(() -> probe.longestStall().compareTo(Duration.ofSeconds(3)) > 0);
            release.countDown();
            await().atMost(Duration.ofSeconds(10)).until(() -> probe.longestStall().compareTo(Duration.ofSeconds(2)) < 0);
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
