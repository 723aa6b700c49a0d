package io.qrrefresher.refresh;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.qrrefresher.config.Settings;
import io.qrrefresher.refresh.RefreshDecisions.InstanceRefresh;

/**
 * One run of the refresh pipeline: its trigger, its totals and, for manual runs, the per-instance results. Instances
 * are refreshed in parallel, so recording is thread-safe. It travels as the exchange property {@code refreshRun}.
 */
public final class RefreshRun {

    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String SCHEDULE = "schedule";
    public static final String MANUAL = "manual";
    /** One instance refreshed at once because the application asked for a QR (LISTEN qr_code_updated). */
    public static final String REQUEST = "request";

    private final String trigger;
    private final Instant startedAt = Instant.now();
    private final Instant cycle;
    private final String replica;
    private final long leaseSeconds;
    private final AtomicInteger claimed = new AtomicInteger();
    private final int limit;
    private final long minAgeSeconds;
    private final long closeConfirmSeconds;
    private final long retentionSeconds;
    private final long polledQrExpirySeconds;
    private final List<InstanceResult> results;
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicInteger refreshed = new AtomicInteger();
    private final AtomicInteger unchanged = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final AtomicInteger failed = new AtomicInteger();
    private final AtomicInteger unauthorized = new AtomicInteger();
    private final Queue<InstanceRefresh> shortCircuited = new ConcurrentLinkedQueue<>();
    private final AtomicInteger answeredByEvolution = new AtomicInteger();
    private final AtomicInteger unauthorizedGlobalKey = new AtomicInteger();
    private final AtomicInteger qrRead = new AtomicInteger();
    private final AtomicInteger staleQrFound = new AtomicInteger();
    private final Map<String, CauseTally> causes = new ConcurrentHashMap<>();
    private final Queue<String> readInstances = new ConcurrentLinkedQueue<>();
    private final AtomicInteger covered = new AtomicInteger();
    private final AtomicInteger deferred = new AtomicInteger();
    /** Until when the second pass's calls may wait for their server's budget: one QR lifetime after the start. */
    private final Instant waitForBudgetUntil;
    private final Coverage coverage;
    private volatile boolean webhooksAlive;
    private volatile boolean pollAll;
    private volatile boolean webhooksAwaited;
    private volatile Long id;
    private volatile Instant endedAt;
    private volatile String status = "running";
    private volatile String message;
    private volatile boolean aborted;

    RefreshRun(String trigger, Instant cycle, String replica, Duration lease, int limit, Settings.Refresh settings,
               Duration qrLifetime) {
        this.trigger = trigger;
        this.waitForBudgetUntil = startedAt.plus(qrLifetime);
        this.coverage = new Coverage(settings.coverage());
        this.cycle = cycle;
        this.replica = replica;
        this.leaseSeconds = lease.toSeconds();
        this.limit = limit <= 0 ? Integer.MAX_VALUE : limit;
        this.minAgeSeconds = settings.minAge().toSeconds();
        this.closeConfirmSeconds = settings.closeConfirmAfter().toSeconds();
        this.retentionSeconds = settings.historyRetention().toSeconds();
        // a polled QR appeared at some point since the last read: count on half its lifetime
        this.polledQrExpirySeconds = qrLifetime.toSeconds() / 2;
        // only a manual run answers with every instance; a scheduled run keeps totals, so memory stays flat
        this.results = MANUAL.equals(trigger) ? Collections.synchronizedList(new ArrayList<>()) : null;
    }

    void record(InstanceRefresh refresh) {
        if (refresh.isShortCircuited()) {
            // no call was made: the instance may be retried in this run if the breaker closes again
            shortCircuited.add(refresh);
            return;
        }
        total.incrementAndGet();
        switch (refresh.getOutcome() == null ? Outcome.FAILED : refresh.getOutcome()) {
            case REFRESHED -> refreshed.incrementAndGet();
            case COVERED -> covered.incrementAndGet();
            case OPENED -> opened.incrementAndGet();
            case CLOSED -> closed.incrementAndGet();
            case FAILED -> failed.incrementAndGet();
            default -> unchanged.incrementAndGet();
        }
        if (refresh.isUnauthorized()) {
            unauthorized.incrementAndGet();
            if (!refresh.instance().hasOwnToken()) {
                unauthorizedGlobalKey.incrementAndGet();
            }
        }
        if ((refresh.getOutcome() != Outcome.FAILED && refresh.getOutcome() != Outcome.COVERED)
                || refresh.isUnauthorized()) {
            answeredByEvolution.incrementAndGet();
        }
        if (refresh.isQrRead()) {
            qrRead.incrementAndGet();
        }
        if (refresh.isStaleQrFound()) {
            staleQrFound.incrementAndGet();
        }
        if (refresh.isReadByEvolution()) {
            readInstances.add(String.valueOf(refresh.getInstanceId()));
        }
        noteCause(refresh);
        if (results != null) {
            results.add(InstanceResult.of(refresh));
        }
    }

    private void noteCause(InstanceRefresh refresh) {
        String cause = refresh.getOutcome() == null ? null : refresh.getCause();
        if (cause != null) {
            causes.computeIfAbsent(cause, key -> new CauseTally()).add(refresh.getInstanceName());
        }
    }

    /** How many instances had one cause in a run, and the first few of them. */
    private static final class CauseTally {
        static final int MAX_NAMES = 20;
        final AtomicInteger count = new AtomicInteger();
        final Queue<String> instances = new ConcurrentLinkedQueue<>();

        void add(String instance) {
            if (count.incrementAndGet() <= MAX_NAMES) {
                instances.add(instance);
            }
        }
    }

    void end(String status, String message) {
        this.endedAt = Instant.now();
        this.status = status;
        this.message = message;
    }

    void abort(String message) {
        end("failed", message);
        this.aborted = true;
    }

    /** The run stopped before going through its instances (the database went away, say). */
    public boolean isAborted() {
        return aborted;
    }

    void started(long id) {
        this.id = id;
    }

    public Long getId() {
        return id;
    }

    public String getTrigger() {
        return trigger;
    }

    public Instant getStartedAt() {
        return startedAt;
    }

    /** When the run ended, or null while it goes on (the history row is written with it, even when written late). */
    /** For SQL: when the run started. */
    public OffsetDateTime getStartedAtTime() {
        return startedAt.atOffset(ZoneOffset.UTC);
    }

    public OffsetDateTime getEndedAtTime() {
        return endedAt == null ? null : endedAt.atOffset(ZoneOffset.UTC);
    }

    /**
     * The refresh cycle this run belongs to: the scheduled time of its Quartz tick, the same on every replica, or the
     * moment a manual or requested run began. An instance is claimed once per cycle across the replicas.
     */
    public OffsetDateTime getCycle() {
        return cycle.atOffset(ZoneOffset.UTC);
    }

    /** The replica running it ({@code application_name} of its database sessions). */
    public String getReplica() {
        return replica;
    }

    /** How long a claimed instance stays reserved to this replica if it never reports back (it died, say). */
    public long getLeaseSeconds() {
        return leaseSeconds;
    }

    /** Counts instances claimed for this run; returns how many more the run's limit allows. */
    int claimed(int instances) {
        return limit == Integer.MAX_VALUE ? Integer.MAX_VALUE : limit - claimed.addAndGet(instances);
    }

    public long getDurationMillis() {
        return Duration.between(startedAt, endedAt == null ? Instant.now() : endedAt).toMillis();
    }

    public String getStatus() {
        return status;
    }

    public String getMessage() {
        return message;
    }

    /** The row limit of the selection; {@link Integer#MAX_VALUE} when unlimited. */
    public int getLimit() {
        return limit;
    }

    public long getMinAgeSeconds() {
        return minAgeSeconds;
    }

    /** A close is acted on when a read this long after the first still says close. */
    public long getCloseConfirmSeconds() {
        return closeConfirmSeconds;
    }

    public long getRetentionSeconds() {
        return retentionSeconds;
    }

    /** {@code qr_expires_at} of a QR found by polling is this far ahead (pushed QR codes get their full lifetime). */
    public long getPolledQrExpirySeconds() {
        return polledQrExpirySeconds;
    }

    public int getTotal() {
        return total.get();
    }

    public int getRefreshed() {
        return refreshed.get();
    }

    public int getUnchanged() {
        return unchanged.get();
    }

    public int getOpened() {
        return opened.get();
    }

    public int getClosed() {
        return closed.get();
    }

    public int getFailed() {
        return failed.get();
    }

    public int getUnauthorized() {
        return unauthorized.get();
    }

    /**
     * Takes the instances skipped so far (no call made for them: their server's breaker was open, or its budget
     * spent) that {@code retry} accepts; the others stay skipped.
     */
    List<ConnectingInstance> takeShortCircuited(java.util.function.Predicate<InstanceRefresh> retry) {
        List<ConnectingInstance> taken = new ArrayList<>();
        List<InstanceRefresh> kept = new ArrayList<>();
        for (InstanceRefresh refresh = shortCircuited.poll(); refresh != null; refresh = shortCircuited.poll()) {
            if (retry.test(refresh)) {
                refresh.instance().setSecondPass(true);
                taken.add(refresh.instance());
            } else {
                kept.add(refresh);
            }
        }
        shortCircuited.addAll(kept);
        return taken;
    }

    /**
     * Counts the instances still skipped: as failed when their server's breaker was open until the end of the run; as
     * deferred to the next run when their server's calls were all under way (its budget: a slow server does not hold
     * the run, nor the other servers' next refresh, beyond one QR lifetime).
     */
    void countShortCircuitedAsFailed() {
        for (InstanceRefresh refresh = shortCircuited.poll(); refresh != null; refresh = shortCircuited.poll()) {
            if (refresh.isDeferred()) {
                deferred.incrementAndGet();
                continue;
            }
            total.incrementAndGet();
            failed.incrementAndGet();
            noteCause(refresh);
            if (results != null) {
                results.add(InstanceResult.of(refresh));
            }
        }
    }

    boolean hasShortCircuited() {
        return !shortCircuited.isEmpty();
    }

    /** Instances for which Evolution API gave an answer (any answer, including 401). */
    public int getAnsweredByEvolution() {
        return answeredByEvolution.get();
    }

    /**
     * What this run does for the instance ({@link Coverage}): scheduled and manual runs only skip covered instances;
     * a requested refresh (the application asked for this instance's QR) and a manual run with {@code ?all=true}
     * always poll.
     */
    Coverage.Plan plan(ConnectingInstance instance, Instant now) {
        return REQUEST.equals(trigger) || pollAll ? Coverage.Plan.POLL : coverage.plan(instance, now, webhooksAlive);
    }

    /** An operator asked this run to poll every instance, covered ones included ({@code ?all=true}). */
    void pollAll() {
        this.pollAll = true;
    }

    public boolean isPollAll() {
        return pollAll;
    }

    /** What the run learnt of the webhooks before it started: some connecting instance got one within a lifetime. */
    void webhooksAlive(boolean alive) {
        this.webhooksAlive = alive;
    }

    public boolean isWebhooksAlive() {
        return webhooksAlive;
    }

    /** Webhooks are configured, instances have waited longer than a QR lifetime, and none got a webhook meanwhile. */
    void webhooksAwaited(boolean awaited) {
        this.webhooksAwaited = awaited;
    }

    boolean isWebhooksAwaited() {
        return webhooksAwaited;
    }

    /** Instances skipped because webhooks keep their QR current. */
    /** Instances left to the next run: their server's EVOLUTION_SERVER_CONCURRENCY calls were all under way. */
    public int getDeferred() {
        return deferred.get();
    }

    /** Whether a call made now, in the second pass, may still wait for its server's budget. */
    boolean mayWaitForBudget() {
        return Instant.now().isBefore(waitForBudgetUntil);
    }

    public int getCovered() {
        return covered.get();
    }

    /** 401 answers to calls that carried EVOLUTION_API_KEY (rows without their own token). */
    public int getUnauthorizedGlobalKey() {
        return unauthorizedGlobalKey.get();
    }

    /** Instances whose QR the run read: refreshed or unchanged. */
    public int getQrRead() {
        return qrRead.get();
    }

    /** Of those, how many had an expired QR stored while Evolution showed another one. */
    public int getStaleQrFound() {
        return staleQrFound.get();
    }

    /**
     * The ids of the instances Evolution answered for without an error, as a JSON array of their text form (one UPDATE
     * compares {@code instance_id::text}: any id type, and a text id may hold a comma).
     */
    public String getReadInstanceIds() {
        try {
            return JSON.writeValueAsString(List.copyOf(readInstances));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("A list of strings always serialises", e);
        }
    }

    public boolean hasReadInstances() {
        return !readInstances.isEmpty();
    }

    /** Per cause seen in the run: {@code {"instance_missing":{"count":2,"instances":["a","b"]}}}; null when none. */
    public String getCausesJson() {
        if (causes.isEmpty()) {
            return null;
        }
        Map<String, Object> json = new TreeMap<>();
        causes.forEach((cause, tally) -> json.put(cause, Map.of("count", tally.count.get(),
                "instances", List.copyOf(tally.instances))));
        try {
            return JSON.writeValueAsString(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("Cause counts are plain data", e);
        }
    }

    /** Per-instance results, in completion order; empty for scheduled runs. */
    public List<InstanceResult> getResults() {
        if (results == null) {
            return List.of();
        }
        synchronized (results) {
            return List.copyOf(results);
        }
    }
}
