package io.qrrefresher.evolution;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.qrrefresher.config.Settings.EvolutionServer;

/**
 * Each Evolution server's concurrency budget (EVOLUTION_SERVER_CONCURRENCY calls at once, per replica), taken by the
 * route made from the template {@code evolution-server} around its circuit breaker. A refresh that finds a server's
 * calls all under way waits for one to end, unless as many refreshes already wait for that server: then it waits only
 * {@link #PATIENCE_MILLIS} more, which a server that answers at its usual pace serves, and otherwise its instance is
 * done later in the run (or in the next one). A slow server therefore holds at most twice its budget of the refresh's
 * workers for long (its calls, and as many waiting), and the other servers' instances go on; a busy but quick one does
 * not send its instances to the end of the run, behind a slow server's calls. A person's request always waits (up to
 * the call timeout).
 */
public final class EvolutionBudget {

    /** How a call takes its server's budget. */
    public enum Wait {
        /** A person's request: waits for a permit, up to the call timeout. */
        ALWAYS,
        /**
         * A refresh: waits, unless as many refreshes as the budget already wait for that server: then only
         * {@link #PATIENCE_MILLIS}.
         */
        QUEUED,
        /** A refresh late in its run: a permit at once, or none. */
        NEVER
    }

    private final Map<String, Semaphore> permits = new LinkedHashMap<>();
    private final Map<String, java.util.concurrent.atomic.AtomicInteger> waiting = new LinkedHashMap<>();
    /** How long a refresh beyond the queue waits for a permit: far longer than a call that goes well takes. */
    public static final long PATIENCE_MILLIS = 1000;

    private final int perServer;
    private final long waitMillis;
    private final long patienceMillis;

    /**
     * @param perServer  calls at once to one server (EVOLUTION_SERVER_CONCURRENCY)
     * @param waitMillis how long a call that may wait waits for a permit (EVOLUTION_TIMEOUT_MS)
     */
    public EvolutionBudget(EvolutionServers servers, int perServer, long waitMillis, MeterRegistry registry) {
        this(servers, perServer, waitMillis, Math.min(PATIENCE_MILLIS, waitMillis), registry);
    }

    /** @param patienceMillis how long a refresh beyond the queue waits for a permit */
    EvolutionBudget(EvolutionServers servers, int perServer, long waitMillis, long patienceMillis,
            MeterRegistry registry) {
        this.perServer = perServer;
        this.waitMillis = waitMillis;
        this.patienceMillis = patienceMillis;
        for (EvolutionServer server : servers.all()) {
            Semaphore semaphore = new Semaphore(perServer, true);
            permits.put(server.name(), semaphore);
            java.util.concurrent.atomic.AtomicInteger waiters = new java.util.concurrent.atomic.AtomicInteger();
            waiting.put(server.name(), waiters);
            Gauge.builder("qr_refresher.evolution.calls.waiting", waiters, Number::doubleValue)
                    .description("Calls waiting for the Evolution server's budget on this replica (a refresh waits"
                            + " only while fewer than EVOLUTION_SERVER_CONCURRENCY do)")
                    .tag("server", server.name()).register(registry);
            Gauge.builder("qr_refresher.evolution.calls.in.flight", semaphore,
                            taken -> perServer - taken.availablePermits())
                    .description("Calls to the Evolution server under way on this replica (at most"
                            + " EVOLUTION_SERVER_CONCURRENCY)")
                    .tag("server", server.name()).register(registry);
        }
    }

    /**
     * Takes one of {@code server}'s permits, waiting as {@code wait} says ({@link Wait}: ALWAYS, QUEUED, NEVER). False:
     * none was had (the call is not made).
     */
    public boolean enter(String server, String wait) throws InterruptedException {
        Semaphore semaphore = permits.get(server);
        if (semaphore == null || semaphore.tryAcquire()) {
            return true;
        }
        Wait how = wait == null ? Wait.QUEUED : Wait.valueOf(wait);
        if (how == Wait.NEVER) {
            return false;
        }
        java.util.concurrent.atomic.AtomicInteger waiters = waiting.get(server);
        try {
            boolean beyondQueue = waiters.incrementAndGet() > perServer && how == Wait.QUEUED;
            return semaphore.tryAcquire(beyondQueue ? patienceMillis : waitMillis, TimeUnit.MILLISECONDS);
        } finally {
            waiters.decrementAndGet();
        }
    }

    /** Gives the permit of a call that ended back. */
    public void leave(String server) {
        Semaphore semaphore = permits.get(server);
        if (semaphore != null) {
            semaphore.release();
        }
    }
}
