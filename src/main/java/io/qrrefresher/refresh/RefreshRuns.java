package io.qrrefresher.refresh;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.qrrefresher.alert.AlertSignals;
import io.qrrefresher.cluster.Replica;
import io.qrrefresher.common.Failures;
import io.qrrefresher.common.RouteContract;
import io.qrrefresher.config.Settings;
import io.qrrefresher.metrics.QrMetrics;
import io.qrrefresher.refresh.RefreshDecisions.InstanceRefresh;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.RuntimeCamelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Starts and ends runs of the refresh pipeline, and makes sure they never overlap: one run at a time for the whole
 * process, whether the schedule or the manual trigger started it. Across replicas, the instances of a run are claimed
 * from the database as it goes ({@link ClaimedInstances}).
 */
public final class RefreshRuns {

    public static final String RUN_PROPERTY = "refreshRun";
    private static final Logger LOG = LoggerFactory.getLogger(RefreshRuns.class);
    static final int MAX_UNSAVED = 1440;

    private final Settings.Refresh settings;
    private final AlertSignals alerts;
    private final Supplier<CircuitBreaker.State> circuitState;
    private final java.util.function.Function<String, CircuitBreaker.State> serverBreaker;
    private final Duration qrLifetime;
    private final RefreshControl control;
    private final QrMetrics metrics;
    private final Replica replica;
    private final Duration lease;
    private final Queue<RefreshRun> unsavedHistory = new ConcurrentLinkedQueue<>();
    private final CamelContext context;
    private volatile ProducerTemplate producer;
    private volatile Instant lastSuccess;
    private final AtomicReference<RefreshRun> current = new AtomicReference<>();
    private volatile Instant lastRunEndedAt = Instant.EPOCH;
    private volatile Instant lastProgress = Instant.now();
    private final boolean webhooksExpected;
    private volatile boolean webhooksSilent;
    // whether the last run that read Evolution found a qrcode.updated within a QR lifetime; null before any
    private volatile Boolean webhooksHeard;

    /**
     * @param lease how long an instance claimed by this replica stays reserved to it: long enough for two Evolution
     *              calls at their timeout after waiting for a free worker, short enough to be taken over in the next
     *              cycle when this replica dies
     */
    public RefreshRuns(Settings.Refresh settings, Duration qrLifetime, AlertSignals alerts,
                       Supplier<CircuitBreaker.State> circuitState,
                       java.util.function.Function<String, CircuitBreaker.State> serverBreaker, RefreshControl control, QrMetrics metrics, Replica replica,
                       Duration lease, boolean webhooksExpected, CamelContext context) {
        this.context = context;
        this.webhooksExpected = webhooksExpected;
        this.settings = settings;
        this.replica = replica;
        this.lease = lease;
        this.qrLifetime = qrLifetime;
        this.control = control;
        this.metrics = metrics;
        this.alerts = alerts;
        this.circuitState = circuitState;
        this.serverBreaker = serverBreaker;
    }

    /**
     * Begins a run, or declines (null) when one is going on this replica, or when {@code scheduledFireTime} fell due
     * while the previous run was still going (Quartz fires such a tick late: that tick is the overlap skipped).
     *
     * @param trigger           {@code schedule} or {@code manual}
     * @param scheduledFireTime the Quartz tick's time, null for a manual run
     * @param pollAll           a manual run's {@code ?all=true}: covered instances are polled too
     */
    public RefreshRun begin(String trigger, Date scheduledFireTime, Boolean pollAll) {
        String name = trigger == null ? RefreshRun.SCHEDULE : trigger;
        if (scheduledFireTime != null && scheduledFireTime.toInstant().isBefore(lastRunEndedAt)) {
            LOG.warn("Skipped the refresh tick due at {}: the previous run was still going until {}",
                    scheduledFireTime.toInstant(), lastRunEndedAt);
            metrics.run(name, "skipped");
            return null;
        }
        Instant cycle = scheduledFireTime != null ? scheduledFireTime.toInstant() : Instant.now();
        RefreshRun run = new RefreshRun(name, cycle, replica.getId(), lease, control.current().getLimit(), settings,
                qrLifetime);
        if (!current.compareAndSet(null, run)) {
            RefreshRun going = current.get();
            if (RefreshRun.SCHEDULE.equals(name)) {
                LOG.warn("Skipped a {} refresh: run {} started at {} is still going", name,
                        going == null ? "?" : going.getId(), going == null ? "?" : going.getStartedAt());
            } else {
                // route manual-refresh waits for that run, then begins its own (or answers 409 naming it)
                LOG.info("A {} refresh waits for run {} (started at {}) to end, then runs (at most 60 s, else it is"
                        + " answered 409)", name, going == null ? "?" : going.getId(),
                        going == null ? "?" : going.getStartedAt());
            }
            metrics.run(name, "skipped");
            return null;
        }
        if (Boolean.TRUE.equals(pollAll)) {
            run.pollAll();
        }
        lastProgress = Instant.now();
        return run;
    }

    /** The run going on this replica, or null. */
    public RefreshRun going() {
        return current.get();
    }

    /** The run is over, its history written or queued: the next one may begin. */
    public void ended(RefreshRun run) {
        lastRunEndedAt = Instant.now();
        current.compareAndSet(run, null);
    }

    /**
     * A run for one instance outside any run (the application asked for its QR): no history row and no lock in this
     * process; the lease on the instance makes one replica do it.
     */
    public RefreshRun requestedRun() {
        return new RefreshRun(RefreshRun.REQUEST, Instant.now(), replica.getId(), lease, 1, settings, qrLifetime);
    }

    /** The instances of the run, claimed a batch (as many as refresh at once) at a time. */
    public Iterator<ConnectingInstance> claims(RefreshRun run) {
        if (producer == null) {
            producer = context.createProducerTemplate();
        }
        return new ClaimedInstances(producer, run, control.current().getConcurrency());
    }

    /** Logs the outcome of a requested refresh. */
    public void finishRequested(InstanceRefresh refresh) {
        LOG.debug("Requested refresh of {}", refresh);
    }

    /** Takes the id of the history row written for a run that could not insert it when it started. */
    public void recordedLate(RefreshRun run, Long id) {
        run.started(id);
        LOG.info("Refresh run {} ({}), which started while the database was unreachable, is now in the history",
                run.getId(), run.getTrigger());
    }

    /** Waits until no run is going on this replica, at most {@code maxMillis}. */
    public void awaitIdle(long maxMillis) throws InterruptedException {
        long deadline = System.nanoTime() + maxMillis * 1_000_000;
        while (current.get() != null && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
    }

    /**
     * Reads whether webhooks are alive, from the run's query: some connecting instance got a {@code qrcode.updated}
     * within one QR lifetime ({@code webhooks_alive}), and how many have waited longer than that
     * ({@code waiting_longer}). Without it, coverage is off for the run: every instance is polled.
     */
    public void webhookState(RefreshRun run, Map<?, ?> row) {
        boolean alive = row != null && Boolean.TRUE.equals(row.get("webhooks_alive"));
        long waitingLonger = row == null || !(row.get("waiting_longer") instanceof Number number) ? 0
                : number.longValue();
        run.webhooksAlive(alive);
        run.webhooksAwaited(webhooksExpected && !alive && waitingLonger > 0);
    }

    /** Whether the last run found webhooks silent while Evolution answered: every instance is polled meanwhile. */
    public boolean isWebhooksSilent() {
        return webhooksSilent;
    }

    /** What the health check says of the webhooks. */
    public String webhookCoverage() {
        if (!webhooksExpected) {
            return "not configured (EVOLUTION_WEBHOOK_TOKEN unset): every instance is polled";
        }
        if (webhooksSilent) {
            return "silent: no qrcode.updated for any connecting instance within QR_LIFETIME; every instance is"
                    + " polled";
        }
        return webhooksHeard == null ? "not judged yet: no run has read Evolution since the start"
                : webhooksHeard ? "arriving" : "none expected yet: no connecting instance has waited a QR lifetime";
    }

    /** Takes the id of the history row the run inserted. */
    public void started(RefreshRun run, Long id) {
        run.started(id);
        LOG.debug("Refresh run {} ({}) started", run.getId(), run.getTrigger());
    }

    /** Adds the outcome of one instance to its run. */
    public void record(RefreshRun run, InstanceRefresh refresh) {
        if (run != null && refresh != null) {
            lastProgress = Instant.now();
            run.record(refresh);
            Outcome outcome = refresh.getOutcome() == null ? Outcome.FAILED : refresh.getOutcome();
            metrics.instance(outcome.label(), outcome == Outcome.FAILED ? refresh.getFailureReason() : null);
        }
        MDC.remove("instance");
    }

    /**
     * The run's second pass: the instances its first pass made no call for, whose server's breaker is closed: it was
     * open and closed again since (the server came back: its half-open trial calls succeeded), or the server's
     * concurrency budget was spent at that moment (EVOLUTION_SERVER_CONCURRENCY). Their calls may now wait for the
     * budget; they are refreshed before the run ends instead of a cycle later.
     */
    public List<ConnectingInstance> skippedWhileOpen(RefreshRun run) {
        if (!run.hasShortCircuited()) {
            return List.of();
        }
        List<ConnectingInstance> skipped = run.takeShortCircuited(refresh -> refresh.getServer() != null
                && serverBreaker.apply(refresh.getServer()) == CircuitBreaker.State.CLOSED);
        if (!skipped.isEmpty()) {
            LOG.info("Refreshing the {} instances run {} could not call in its first pass (their server's breaker"
                    + " was open, or its EVOLUTION_SERVER_CONCURRENCY calls were under way)", skipped.size(),
                    run.getId());
        }
        return skipped;
    }

    /** Ends a run that went through all its instances. */
    public void finish(RefreshRun run) {
        run.countShortCircuitedAsFailed();
        String status = run.getFailed() == 0 ? "succeeded"
                : run.getFailed() == run.getTotal() ? "failed" : "partially_failed";
        String message = String.format("%d instances: %d refreshed, %d unchanged, %d opened, %d closed, %d failed",
                run.getTotal(), run.getRefreshed(), run.getUnchanged(), run.getOpened(), run.getClosed(),
                run.getFailed()) + (run.getCovered() > 0 ? ", " + run.getCovered() + " covered by webhooks" : "")
                + (run.getDeferred() > 0 ? ", " + run.getDeferred() + " deferred to the next run (their server's"
                + " EVOLUTION_SERVER_CONCURRENCY calls were under way)" : "")
                + (run.isPollAll() ? " (every instance polled: all=true)" : "");
        run.end(status, message);
        metrics.run(run.getTrigger(), status);
        if (!"failed".equals(status)) {
            lastSuccess = Instant.now();
        }
        // the run's line is about no instance (Camel's MDC propagation can bring back the last one refreshed)
        MDC.remove("instance");
        if (run.getFailed() > 0) {
            LOG.warn("Refresh run {} ({}) {} in {} ms: {}", run.getId(), run.getTrigger(), status,
                    run.getDurationMillis(), message);
        } else {
            LOG.info("Refresh run {} ({}) {} in {} ms: {}", run.getId(), run.getTrigger(), status,
                    run.getDurationMillis(), message);
        }
        // the key of the whole service is refused when EVOLUTION_API_KEY got a 401, or when every instance (two or
        // more) did; a 401 to one row's own token while other keys work is that instance's (the failure check says so)
        boolean keyRefused = run.getUnauthorizedGlobalKey() > 0
                || (run.getUnauthorized() >= 2 && run.getUnauthorized() == run.getAnsweredByEvolution());
        if (keyRefused) {
            alerts.evolutionUnauthorized(run.getUnauthorized(), run.getTotal());
        } else if (run.getAnsweredByEvolution() > run.getUnauthorized()) {
            alerts.evolutionAuthorized();
        }
        if (run.getAnsweredByEvolution() > 0 && circuitState.get() == CircuitBreaker.State.CLOSED) {
            alerts.evolutionReachable();
        }
        noteWebhooks(run);
    }

    /** Webhooks silent (none for a QR lifetime, while Evolution answers) or back: said once each way. */
    private void noteWebhooks(RefreshRun run) {
        if (run.getAnsweredByEvolution() == 0 && !run.isWebhooksAlive()) {
            return; // Evolution did not answer either: nothing to tell about the webhooks
        }
        boolean silent = run.isWebhooksAwaited();
        webhooksHeard = run.isWebhooksAlive();
        if (silent && !webhooksSilent) {
            LOG.warn("Webhooks are not arriving: no qrcode.updated for any connecting instance within {}; every"
                    + " instance is polled until they come back (check Evolution's webhook URL: /webhooks/evolution)",
                    qrLifetime);
        } else if (!silent && webhooksSilent) {
            LOG.info("Webhooks arrive again: instances they cover are not polled");
        }
        webhooksSilent = silent;
    }

    /**
     * How long the run in progress has gone without finishing an instance; zero when no run is going. Each instance
     * is bounded (lease), so a long time here means the run is wedged.
     */
    public Duration runWithoutProgress(Instant now) {
        return current.get() == null ? Duration.ZERO : Duration.between(lastProgress, now);
    }

    /** How long one instance may take at most; a run without progress for many times this is stuck. */
    public Duration instanceBound() {
        return lease;
    }

    /** When the last run that went through its instances ended, or null. */
    public Instant lastSuccess() {
        return lastSuccess;
    }

    /**
     * The history row could not be written (the database is unreachable, say); the run itself is over. The row is
     * written at the start of the next run, so the history tells how this one ended.
     */
    public void historyNotSaved(RefreshRun run, Throwable cause) {
        // also a run that could not even insert its row: every run that started leaves one. A long outage queues
        // at most MAX_UNSAVED runs (a day of one-minute runs); older ones are given up, and said so
        if (!unsavedHistory.contains(run)) {
            unsavedHistory.add(run);
            while (unsavedHistory.size() > MAX_UNSAVED) {
                RefreshRun dropped = unsavedHistory.poll();
                if (dropped != null) {
                    LOG.warn("Refresh run of {} ({}) dropped from the history queue: more than {} runs ended while"
                            + " the database was unreachable", dropped.getStartedAt(), dropped.getStatus(), MAX_UNSAVED);
                }
            }
        }
        if (Failures.isLostConnection(cause)) {
            // the run's own line and the database outage's say it already
            LOG.debug("Refresh run {} ended ({}) but its history row was not written, it will be at the next run: {}",
                    run.getId() == null ? "(not recorded yet)" : run.getId(), run.getStatus(),
                    Failures.describe(cause));
            return;
        }
        LOG.warn("Refresh run {} ended ({}) but its history row was not written, it will be at the next run: {}",
                run.getId() == null ? "(not recorded yet)" : run.getId(), run.getStatus(),
                Failures.describe(cause));
    }

    /** Runs that ended while their history row could not be written; each is handed out once. */
    public List<RefreshRun> takeUnsavedHistory() {
        List<RefreshRun> runs = new ArrayList<>();
        for (RefreshRun run = unsavedHistory.poll(); run != null; run = unsavedHistory.poll()) {
            runs.add(run);
        }
        return runs;
    }

    /** Ends a run that could not go on (the database went away, for example). */
    public void abort(RefreshRun run, Throwable cause) {
        String message = "run aborted after " + (run == null ? 0 : run.getTotal()) + " instances: "
                + Failures.describe(cause);
        if (run != null) {
            run.abort(message);
            metrics.run(run.getTrigger(), "failed");
        }
        String id = run == null || run.getId() == null ? "(not recorded yet)" : String.valueOf(run.getId());
        if (Failures.isLostConnection(cause)) {
            // not a fault of the service: the database is away (told once a minute by DatabaseOutage)
            LOG.warn("Refresh run {} failed: the database does not answer; {}", id, message);
        } else {
            LOG.error("Refresh run {} failed: {}", id, message);
        }
    }

    /**
     * The instances of one run, claimed from the database a batch at a time (route {@code claim-refresh-batch}) as the
     * parallel split asks for them. Claiming lazily keeps the pool busy without a barrier between batches and shares a
     * cycle's instances among the replicas in proportion to how fast each one works. The split pulls from one thread at
     * a time, but not always the same one, hence the synchronisation.
     */
    private static final class ClaimedInstances implements Iterator<ConnectingInstance> {

        static final String CLAIM_ROUTE = RouteContract.CLAIM_REFRESH_BATCH;
        static final String CLAIM_SIZE_PROPERTY = "claimSize";

        private final ProducerTemplate producer;
        private final RefreshRun run;
        private final int batchSize;
        private final Deque<ConnectingInstance> batch = new ArrayDeque<>();
        private int allowed = Integer.MAX_VALUE;
        private boolean exhausted;

        ClaimedInstances(ProducerTemplate producer, RefreshRun run, int batchSize) {
            this.producer = producer;
            this.run = run;
            this.batchSize = batchSize;
        }

        @Override
        public synchronized boolean hasNext() {
            if (batch.isEmpty() && !exhausted) {
                claimNextBatch();
            }
            return !batch.isEmpty();
        }

        @Override
        public synchronized ConnectingInstance next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return batch.poll();
        }

        private void claimNextBatch() {
            int size = Math.min(batchSize, Math.min(allowed, run.getLimit()));
            if (size <= 0) {
                exhausted = true;
                return;
            }
            Exchange answer = producer.send(CLAIM_ROUTE, exchange -> {
                exchange.setProperty(RefreshRuns.RUN_PROPERTY, run);
                exchange.setProperty(CLAIM_SIZE_PROPERTY, size);
            });
            if (answer.getException() != null) {
                // the run cannot go on without the database: the split fails and the run is recorded as aborted
                throw RuntimeCamelException.wrapRuntimeCamelException(answer.getException());
            }
            List<?> rows = answer.getMessage().getBody(List.class);
            // fewer rows than asked is not the end: other replicas may have held some rows locked for a moment
            if (rows == null || rows.isEmpty()) {
                exhausted = true;
                return;
            }
            for (Object row : rows) {
                batch.add((ConnectingInstance) row);
            }
            allowed = run.claimed(rows.size());
        }
    }
}
