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
 * budget spent does not wait for it: its instance is done later in the run, so that a slow server holds at most its
 * budget of the refresh's workers and the other servers' instances go on. A call that may wait (a person's request,
 * or the run's second pass) waits up to the call timeout.
 */
public final class EvolutionBudget {

    private final Map<String, Semaphore> permits = new LinkedHashMap<>();
    private final int perServer;
    private final long waitMillis;

    /**
     * @param perServer  calls at once to one server (EVOLUTION_SERVER_CONCURRENCY)
     * @param waitMillis how long a call that may wait waits for a permit (EVOLUTION_TIMEOUT_MS)
     */
    public EvolutionBudget(EvolutionServers servers, int perServer, long waitMillis, MeterRegistry registry) {
        this.perServer = perServer;
        this.waitMillis = waitMillis;
        for (EvolutionServer server : servers.all()) {
            Semaphore semaphore = new Semaphore(perServer, true);
            permits.put(server.name(), semaphore);
            Gauge.builder("qr_refresher.evolution.calls.in.flight", semaphore,
                            taken -> perServer - taken.availablePermits())
                    .description("Calls to the Evolution server under way on this replica (at most"
                            + " EVOLUTION_SERVER_CONCURRENCY)")
                    .tag("server", server.name()).register(registry);
        }
    }

    /**
     * Takes one of {@code server}'s permits: at once, or, when {@code mayWait}, within the call timeout. False: the
     * budget is spent (the call is not made).
     */
    public boolean enter(String server, boolean mayWait) throws InterruptedException {
        Semaphore semaphore = permits.get(server);
        if (semaphore == null) {
            return true;
        }
        return mayWait ? semaphore.tryAcquire(waitMillis, TimeUnit.MILLISECONDS) : semaphore.tryAcquire();
    }

    /** Gives the permit of a call that ended back. */
    public void leave(String server) {
        Semaphore semaphore = permits.get(server);
        if (semaphore != null) {
            semaphore.release();
        }
    }

    /** Calls under way to {@code server}. */
    public int inFlight(String server) {
        Semaphore semaphore = permits.get(server);
        return semaphore == null ? 0 : perServer - semaphore.availablePermits();
    }

    public int perServer() {
        return perServer;
    }
}
