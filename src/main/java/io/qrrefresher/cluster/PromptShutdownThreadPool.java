package io.qrrefresher.cluster;

import org.quartz.simpl.SimpleThreadPool;

/**
 * Quartz's {@link SimpleThreadPool}, whose shutdown does not join its idle workers. An idle worker notices the end
 * only at its next poll (every 500 ms), so that joining them made each Quartz scheduler's stop take half a second for
 * nothing: when Camel stops the Quartz components, its graceful shutdown has already stopped the routes and waited for
 * their in-flight exchanges, which run on these workers; no job is left to wait for.
 */
public final class PromptShutdownThreadPool extends SimpleThreadPool {

    @Override
    public void shutdown(boolean waitForJobsToComplete) {
        super.shutdown(false);
    }
}
