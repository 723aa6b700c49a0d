package io.qrrefresher.refresh;

import java.time.Instant;
import java.util.Optional;

import io.qrrefresher.common.Failures;
import io.qrrefresher.evolution.EvolutionRequests;
import io.qrrefresher.metrics.QrMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Carries the refresh of one instance through the route {@code refresh-instance}: starts it, applies the decisions of
 * {@link RefreshDecisions} after each answer, reads what the writes changed and logs the outcome.
 */
public final class InstanceRefresher {

    private static final Logger LOG = LoggerFactory.getLogger(InstanceRefresher.class);

    private final Optional<String> globalApiKey;
    private final RefreshDecisions decisions;
    private final QrMetrics metrics;

    public InstanceRefresher(Optional<String> globalApiKey, RefreshDecisions decisions, QrMetrics metrics) {
        this.globalApiKey = globalApiKey;
        this.decisions = decisions;
        this.metrics = metrics;
    }

    /** Starts the refresh of one claimed instance, within its run (which says whether webhooks cover it). */
    public InstanceRefresh begin(ConnectingInstance instance, RefreshRun run) {
        String apiKey = EvolutionRequests.apiKeyFor(instance.getInstanceToken(), globalApiKey);
        Coverage.Plan plan = run == null ? Coverage.Plan.POLL : run.plan(instance, Instant.now());
        MDC.put("instance", instance.getInstanceName());
        return new InstanceRefresh(instance, apiKey, decisions, plan);
    }

    /** After a call to Evolution API, whose answer (or its absence) has decided the next step. */
    public void afterCall(InstanceRefresh refresh) {
        if (refresh.decision().qrRejected()) {
            metrics.qrRejected("poll", refresh.getFailureReason());
        }
    }

    /** The claim of the pending connect request succeeded (one row) or another run got it first (none). */
    public void afterConnectClaim(InstanceRefresh refresh, Integer claimedRows) {
        boolean claimed = claimedRows != null && claimedRows > 0;
        if (claimed) {
            LOG.info("{} is closed in Evolution API and was asked for a QR: sending one connect", refresh.instance());
        }
        refresh.connectClaimed(claimed);
    }

    /**
     * Reads what the write of {@code save-refresh-outcome} changed and logs the outcome.
     *
     * @param updated the rows an UPDATE changed (none: the application changed the row meanwhile)
     * @param closed  for {@code NOTE_CLOSE}, the rows set to close (the close was confirmed)
     */
    public void afterSave(InstanceRefresh refresh, Integer updated, Object closed) {
        switch (refresh.getSave()) {
            case STORE_QR, MARK_OPEN -> {
                if (updated != null && updated == 0) {
                    refresh.outcome(Outcome.LEFT_ALONE);
                }
            }
            case NOTE_CLOSE -> {
                if (closed instanceof Number rows && rows.longValue() > 0) {
                    refresh.outcome(Outcome.CLOSED);
                }
            }
            default -> {
            }
        }
        log(refresh);
    }

    /** Something unexpected went wrong for this instance (a database error, say): record it, keep the run going. */
    public void failedUnexpectedly(InstanceRefresh refresh, Throwable cause) {
        if (refresh == null) {
            LOG.warn("Could not start a refresh: {}", Failures.describe(cause));
            return;
        }
        refresh.failedUnexpectedly(Failures.describe(cause));
        LOG.warn("{}: refresh failed: {}", refresh.instance(), refresh.getError());
    }

    private static void log(InstanceRefresh refresh) {
        ConnectingInstance instance = refresh.instance();
        switch (refresh.getOutcome()) {
            case REFRESHED -> LOG.debug("{}: new QR stored (count {})", instance, refresh.getQrCount());
            case OPENED -> LOG.info("{} is paired: status set to open, QR cleared", instance);
            case CLOSED -> LOG.info("{} stayed closed in Evolution API: status set to close, QR cleared", instance);
            case LEFT_ALONE -> LOG.info("{} was changed by the application during the refresh: left alone", instance);
            case FAILED -> {
                if (instance.getConsecutiveFailures() == 0 && !refresh.isShortCircuited()) {
                    LOG.warn("{}: refresh failed: {}", instance, refresh.getError());
                } else {
                    LOG.debug("{}: refresh failed again ({} in a row): {}", instance,
                            instance.getConsecutiveFailures() + 1, refresh.getError());
                }
            }
            default -> LOG.debug("{}: {}", instance, refresh.getOutcome().label());
        }
    }
}
