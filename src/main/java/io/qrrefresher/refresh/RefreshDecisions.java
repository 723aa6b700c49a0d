package io.qrrefresher.refresh;

import java.time.Instant;

import io.qrrefresher.alert.Cause;
import io.qrrefresher.common.Failures;
import io.qrrefresher.config.Settings.EvolutionServer;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.EvolutionDiscovery;
import io.qrrefresher.evolution.EvolutionReply;
import io.qrrefresher.evolution.EvolutionServers;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.evolution.QrFingerprint;
import io.qrrefresher.metrics.QrMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The refresh of one instance, as the route {@code refresh-instance} drives it (the bean {@code refreshDecisions}):
 * {@link #begin} starts it, the answer of each Evolution call decides the next step, {@link #afterSave} reads what the
 * write changed and logs the outcome. Its state travels as the exchange property {@code refresh}
 * ({@link InstanceRefresh}).
 *
 * <p>The decisions themselves are pure functions ({@link #start}, {@link #afterReply}, {@link #unanswered},
 * {@link #afterConnectClaim}): what Evolution API answered to a call, and what is stored for the instance, decide the
 * next step. The route branches on the holder's booleans ({@code refresh.callingEvolution}, {@code refresh.storingQr}…).
 * Nothing in them does I/O, so every row of the outcome table is a unit test ({@code RefreshDecisionsTest}).
 *
 * <p>The rules: read the QR only while Evolution says {@code connecting}; mark a paired instance {@code open}; never
 * {@code connect} a closed instance (that opens a new WhatsApp socket) except once per explicit request, claimed in
 * the database first; a {@code close} is only noted, and acted on when a later read confirms it.
 */
public final class RefreshDecisions {

    private static final Logger LOG = LoggerFactory.getLogger(RefreshDecisions.class);

    /** The next step of the route {@code refresh-instance}. */
    public enum Step {
        /** GET /instance/connectionState/{name}. */
        CALL_CONNECTION_STATE,
        /** Claim the instance's pending connect request (one connect per request, whatever races for it). */
        CLAIM_CONNECT,
        /** GET /instance/connect/{name}. */
        CALL_CONNECT,
        /** Done: write {@link Decision#save()}. */
        SAVE
    }

    /** What {@code save-refresh-outcome} writes. */
    public enum Save {
        NOTHING, STORE_QR, MARK_OPEN, NOTE_CLOSE, RECORD_FAILURE, RESET_STATE
    }

    /** What is stored about the instance, as far as the decision needs it. */
    public record Stored(String qrCodeHash, Integer qrCount, boolean stateToClear, boolean unservedConnectRequest,
                         boolean stateOnly) {

        /** A full refresh; {@code stateOnly}: the safety read of an instance webhooks cover (no connect). */
        public Stored(String qrCodeHash, Integer qrCount, boolean stateToClear, boolean unservedConnectRequest) {
            this(qrCodeHash, qrCount, stateToClear, unservedConnectRequest, false);
        }

        static Stored of(ConnectingInstance instance, boolean stateOnly) {
            return new Stored(instance.getQrCodeHash(), instance.getQrCount(),
                    instance.getConsecutiveFailures() > 0 || instance.isCloseSeen()
                            || instance.hasUnservedConnectRequest(),
                    instance.hasUnservedConnectRequest(), stateOnly);
        }
    }

    /**
     * A QR to store: the checked image, the fingerprint of its code, Evolution's count and, in phone-number mode, the
     * checked pairing code that goes with it.
     */
    public record NewQr(String image, String codeHash, Integer count, String pairingCode) {
    }

    /**
     * The next step; once it is {@link Step#SAVE}, the outcome and what to write. {@code failureReason} is a short
     * fixed word for metrics (not_found, unauthorized, bad_reply, bad_image, bad_code, not_loaded, no_apikey,
     * unavailable, circuit_open); {@code qrRejected} says the reply held a QR that is never stored.
     */
    public record Decision(Step next, Outcome outcome, Save save, String failureReason, String error, NewQr qr,
                           boolean qrRejected) {

        static Decision go(Step next) {
            return new Decision(next, null, Save.NOTHING, null, null, null, false);
        }

        static Decision done(Outcome outcome, Save save) {
            return new Decision(Step.SAVE, outcome, save, null, null, null, false);
        }

        static Decision failed(String reason, String error, Save save) {
            return new Decision(Step.SAVE, Outcome.FAILED, save, reason, error, null, false);
        }

        public boolean unauthorized() {
            return "unauthorized".equals(failureReason);
        }
    }

    /** Every {@link Decision#failureReason()} (and "internal": a failure of the service itself). */
    public static final java.util.List<String> FAILURE_REASONS = java.util.List.of("not_found", "unauthorized",
            "bad_reply", "bad_image", "bad_code", "not_loaded", "no_apikey", "unavailable", "circuit_open",
            "license_required", "unknown_server", "on_several_servers", "on_no_server", "server_busy", "internal");

    private final QrContent qrContent;
    private final EvolutionServers servers;
    private final QrMetrics metrics;
    private final EvolutionDiscovery discovery;

    /** @param discovery which server lists the instances of rows that name none (several servers) */
    public RefreshDecisions(QrContent qrContent, EvolutionServers servers, QrMetrics metrics,
                            EvolutionDiscovery discovery) {
        this.qrContent = qrContent;
        this.servers = servers;
        this.metrics = metrics;
        this.discovery = discovery;
    }

    // ------------------------------------------------------------------ the route refresh-instance's steps

    /**
     * Starts the refresh of one claimed instance, within its run (which says whether webhooks cover it), on the
     * Evolution server its row names (the default one when it names none).
     */
    public InstanceRefresh begin(ConnectingInstance instance, RefreshRun run) {
        Coverage.Plan plan = run == null ? Coverage.Plan.POLL : run.plan(instance, Instant.now());
        MDC.put("instance", instance.getInstanceName());
        EvolutionServers.Location location = servers.locate(instance.getEvolutionServer(),
                instance.getDiscoveredServers());
        EvolutionServer server = location.server();
        String apiKey = server == null ? null : EvolutionCall.apiKeyFor(instance.getInstanceToken(), server.apiKey());
        Decision first = server == null ? Decision.failed(location.failureReason(), location.error(),
                Save.RECORD_FAILURE) : start(apiKey != null, plan == Coverage.Plan.SKIP);
        InstanceRefresh refresh = new InstanceRefresh(instance, server == null ? null : server.name(),
                location.byDefault(), apiKey, plan, first, this);
        // a refresh queues for a busy server's budget; the second pass only within one QR lifetime of the run's start
        refresh.mayWait = !instance.isSecondPass() || run == null || run.mayWaitForBudget();
        return refresh;
    }

    /** After a call to Evolution API, whose answer (or its absence) has decided the next step. */
    public void afterCall(InstanceRefresh refresh) {
        if (refresh.decision().qrRejected()) {
            metrics.qrRejected("poll", refresh.getFailureReason());
        }
    }

    /** The claim of the pending connect request succeeded (one row) or another run got it first (none). */
    public void connectClaimed(InstanceRefresh refresh, Integer claimedRows) {
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

    // ------------------------------------------------------------------ the decisions

    /**
     * The first step: nothing when webhooks cover the instance ({@link Coverage}), else read the state, unless there
     * is no key to call with.
     */
    public Decision start(boolean hasApiKey, boolean covered) {
        if (covered) {
            return Decision.done(Outcome.COVERED, Save.NOTHING);
        }
        return hasApiKey ? Decision.go(Step.CALL_CONNECTION_STATE)
                : Decision.failed("no_apikey", "no apikey (instance_token is empty and EVOLUTION_API_KEY is not set)",
                Save.RECORD_FAILURE);
    }

    /**
     * Evolution API gave no answer: the call failed on the wire or timed out, or the open circuit breaker did not make
     * it. A call that was not made says nothing about the instance, so it is not recorded against it.
     */
    public Decision unanswered(EvolutionCall.Unanswered why) {
        if (why.licenceRequired()) {
            // the server's own GET / or this answer says it is not activated: true of every instance on it
            return Decision.failed(why.reason(), why.error(), Save.RECORD_FAILURE);
        }
        return why.shortCircuited() ? Decision.failed(why.reason(), why.error(), Save.NOTHING)
                : Decision.failed(why.reason(), why.error(), Save.RECORD_FAILURE);
    }

    /**
     * The default server does not know an instance whose row names no server and that no list named: on no server
     * when every server was listed since it was last missing; else not found, and every server is listed again soon
     * (it moved, or was created after the last list).
     */
    Decision notListed(Decision notFound) {
        if (discovery != null && discovery.everyServerListedSinceAsked()) {
            return Decision.failed("on_no_server", servers.onNoServer(), Save.RECORD_FAILURE);
        }
        if (discovery != null) {
            discovery.request();
        }
        return notFound;
    }

    /** After the claim of a pending connect request: claimed sends one connect, lost leaves the close noted. */
    public Decision afterConnectClaim(boolean claimed) {
        return claimed ? Decision.go(Step.CALL_CONNECT) : Decision.done(Outcome.CLOSE_PENDING, Save.NOTE_CLOSE);
    }

    /** After Evolution API answered {@code call}. */
    public Decision afterReply(EvolutionCall call, EvolutionReply reply, Stored stored) {
        if (reply.isFailure()) {
            return switch (reply.kind()) {
                case UNAUTHORIZED -> Decision.failed("unauthorized", reply.problem(), Save.RECORD_FAILURE);
                case NOT_FOUND -> Decision.failed("not_found", reply.problem(), Save.RECORD_FAILURE);
                default -> Decision.failed("bad_reply", reply.problem(), Save.RECORD_FAILURE);
            };
        }
        if (call == EvolutionCall.CONNECTION_STATE) {
            if (reply.kind() != EvolutionReply.Kind.STATE) {
                return Decision.failed("bad_reply", "connectionState answered with a " + reply.kind()
                        + " body instead of a state", Save.RECORD_FAILURE);
            }
            return afterState(reply.state(), stored, true);
        }
        return switch (reply.kind()) {
            case QR -> afterQr(reply, stored);
            case NO_QR_YET -> Decision.done(Outcome.NO_QR_YET, reset(stored));
            case STATE -> afterState(reply.state(), stored, false);
            default -> Decision.failed("bad_reply", "unexpected " + reply.kind() + " reply to connect",
                    Save.RECORD_FAILURE);
        };
    }

    private Decision afterState(String state, Stored stored, boolean beforeConnect) {
        if (state == null) {
            return Decision.failed("not_loaded",
                    "instance is not loaded in Evolution API (no state: Evolution may be starting up)",
                    Save.RECORD_FAILURE);
        }
        return switch (state) {
            // the safety read of a covered instance stops here: webhooks bring its QR
            case "connecting" -> beforeConnect ? (stored.stateOnly() ? Decision.done(Outcome.UNCHANGED, reset(stored))
                    : Decision.go(Step.CALL_CONNECT)) : Decision.done(Outcome.NO_QR_YET, reset(stored));
            case "open" -> Decision.done(Outcome.OPENED, Save.MARK_OPEN);
            case "close" -> beforeConnect && stored.unservedConnectRequest() ? Decision.go(Step.CLAIM_CONNECT)
                    : Decision.done(Outcome.CLOSE_PENDING, Save.NOTE_CLOSE);
            default -> Decision.failed("bad_reply", "Evolution API reported an unknown state '" + state + "'",
                    Save.RECORD_FAILURE);
        };
    }

    private Decision afterQr(EvolutionReply reply, Stored stored) {
        String hash = QrFingerprint.of(reply.qrCode());
        boolean codeChanged = !hash.equals(stored.qrCodeHash());
        boolean countRose = reply.qrCount() != null && stored.qrCount() != null && reply.qrCount() > stored.qrCount();
        if (!codeChanged && !countRose) {
            return Decision.done(Outcome.UNCHANGED, reset(stored));
        }
        QrContent.Verdict image = qrContent.imageFor(reply.qrCode());
        if (!image.accepted()) {
            // never stored nor streamed; the QR stored before stays
            return new Decision(Step.SAVE, Outcome.FAILED, Save.RECORD_FAILURE, image.reason(),
                    "connect answered a QR that is refused: " + image.problem(), null, true);
        }
        return new Decision(Step.SAVE, Outcome.REFRESHED, Save.STORE_QR, null, null,
                new NewQr(image.image(), hash, reply.qrCount(), reply.pairingCode()), false);
    }

    /** Failures, a noted close or a pending request are cleared by an answer that shows none of them. */
    private static Save reset(Stored stored) {
        return stored.stateToClear() ? Save.RESET_STATE : Save.NOTHING;
    }

    /**
     * The working state of one instance during one run: the instance and the last {@link Decision}. It travels as the
     * exchange property {@code refresh}; the routes read it with simple expressions such as
     * {@code ${exchangeProperty.refresh.storingQr}} and bind it into SQL as
     * {@code :#${exchangeProperty.refresh.instanceId}}.
     */
    public static final class InstanceRefresh implements EvolutionCall.Site {

        private final ConnectingInstance instance;
        private final String server;
        private final boolean byDefault;
        private final String apiKey;
        private final RefreshDecisions decisions;
        private Decision decision;
        private Outcome outcome;
        private boolean staleQrFound;
        private boolean shortCircuited;
        private boolean mayWait;
        private final boolean stateOnly;

        InstanceRefresh(ConnectingInstance instance, String server, boolean byDefault, String apiKey,
                        Coverage.Plan plan, Decision first, RefreshDecisions decisions) {
            this.instance = instance;
            this.server = server;
            this.byDefault = byDefault;
            this.apiKey = apiKey;
            this.decisions = decisions;
            this.stateOnly = plan == Coverage.Plan.SAFETY_READ;
            decide(first);
        }

        public ConnectingInstance instance() {
            return instance;
        }

        /** The row's id, of the table's own type (bound back into SQL as it came). */
        public Object getInstanceId() {
            return instance.getInstanceId();
        }

        @Override
        public String getInstanceName() {
            return instance.getInstanceName();
        }

        /** The Evolution server of the instance (null when its row names one that is not configured). */
        @Override
        public String getServer() {
            return server;
        }

        /** In the run's second pass, a call waits for its server's budget; in the first, it is done later instead. */
        @Override
        public String getBudgetWait() {
            return (mayWait ? io.qrrefresher.evolution.EvolutionBudget.Wait.QUEUED
                    : io.qrrefresher.evolution.EvolutionBudget.Wait.NEVER).name();
        }

        /** No call was made because the server's budget was spent: left to the next run, unless a second pass does it. */
        public boolean isDeferred() {
            return isShortCircuited() && EvolutionCall.Unanswered.SERVER_BUSY.equals(decision.failureReason());
        }

        /** The key sent in the {@code apikey} header: the instance token, or the global key when the row has none. */
        @Override
        public String getApiKey() {
            return apiKey;
        }

        /** The step the route {@code refresh-instance} takes next. */
        public Step getNext() {
            return decision.next();
        }

        /** The call the current step makes. */
        @Override
        public EvolutionCall getCall() {
            return decision.next() == Step.CALL_CONNECTION_STATE ? EvolutionCall.CONNECTION_STATE : EvolutionCall.CONNECT;
        }

        public Save getSave() {
            return decision.save();
        }

        // what the route refresh-instance branches on: the decision's step, as a question the route can ask

        /** The calls are over: the route writes the outcome. */
        public boolean isReadyToSave() {
            return decision.next() == Step.SAVE;
        }

        /** The instance's pending connect request must be claimed first (one connect per request). */
        public boolean isClaimingConnect() {
            return decision.next() == Step.CLAIM_CONNECT;
        }

        /** The next step is a call to Evolution API ({@link #getCall()}). */
        public boolean isCallingEvolution() {
            return decision.next() == Step.CALL_CONNECTION_STATE || decision.next() == Step.CALL_CONNECT;
        }

        // what the route save-refresh-outcome writes: one question per statement

        public boolean isStoringQr() {
            return decision.save() == Save.STORE_QR;
        }

        public boolean isMarkingOpen() {
            return decision.save() == Save.MARK_OPEN;
        }

        public boolean isNotingClose() {
            return decision.save() == Save.NOTE_CLOSE;
        }

        public boolean isRecordingFailure() {
            return decision.save() == Save.RECORD_FAILURE;
        }

        public boolean isResettingState() {
            return decision.save() == Save.RESET_STATE;
        }

        public Outcome getOutcome() {
            return outcome;
        }

        public String getError() {
            return decision.error();
        }

        public boolean isUnauthorized() {
            return decision.unauthorized();
        }

        public String getQrBase64() {
            return decision.qr() == null ? null : decision.qr().image();
        }

        public String getQrCodeHash() {
            return decision.qr() == null ? null : decision.qr().codeHash();
        }

        /** The phone-number pairing code that came with the QR to store, or null (QR mode). */
        public String getPairingCode() {
            return decision.qr() == null ? null : decision.qr().pairingCode();
        }

        public Integer getQrCount() {
            return decision.qr() == null ? null : decision.qr().count();
        }

        public int getConnectRequests() {
            return instance.getConnectRequests();
        }

        /** The open circuit breaker of the instance's server turned the call away (it is retried when it closes). */
        public boolean isShortCircuited() {
            return shortCircuited && decision.outcome() == Outcome.FAILED;
        }

        public String getFailureReason() {
            return decision.failureReason();
        }

        public boolean isQrUpdated() {
            return outcome == Outcome.REFRESHED;
        }

        /**
         * Evolution showed the instance's current QR and it was compared with the stored one (stored, or the same): the
         * reads the stale-QR rate is taken over. The safety read of a covered instance reads the state only.
         */
        public boolean isQrRead() {
            return !stateOnly && (outcome == Outcome.REFRESHED || outcome == Outcome.UNCHANGED);
        }

        /** The refresh found another QR in Evolution while the stored one had already expired: a stale QR was on screen. */
        public boolean isStaleQrFound() {
            return staleQrFound && outcome == Outcome.REFRESHED;
        }

        /** Evolution answered for the instance without an error (a QR, count 0, a state). */
        public boolean isReadByEvolution() {
            return outcome != null && outcome != Outcome.FAILED && outcome != Outcome.LEFT_ALONE
                    && outcome != Outcome.COVERED;
        }

        /**
         * Why the instance has no working QR, as far as this one refresh tells ({@link Cause} ids, or {@code no_qr_yet}
         * for a {@code {"count":0}}: whether that lasts is the failure check's to say); null when nothing is wrong.
         */
        public String getCause() {
            if (outcome == Outcome.FAILED) {
                return Cause.ofFailure(decision.failureReason(), instance.hasOwnToken()).id();
            }
            if (outcome == Outcome.NO_QR_YET) {
                return Outcome.NO_QR_YET.label();
            }
            return isStaleQrFound() ? Cause.STALE_QR_SHOWN.id() : null;
        }

        /** The decision taken last. */
        Decision decision() {
            return decision;
        }

        /** Evolution API answered the current call (any answer, including an error): decides the next step. */
        @Override
        public void replied(EvolutionReply reply) {
            Decision next = decisions.afterReply(getCall(), reply, Stored.of(instance, stateOnly));
            decide(byDefault && reply.kind() == EvolutionReply.Kind.NOT_FOUND ? decisions.notListed(next) : next);
        }

        /** Evolution API could not answer the current call. */
        @Override
        public void unavailable(EvolutionCall.Unanswered why) {
            shortCircuited = why.shortCircuited();
            decide(decisions.unanswered(why));
        }

        void connectClaimed(boolean claimed) {
            decide(decisions.afterConnectClaim(claimed));
        }

        /** Something unexpected went wrong (a database error, say): nothing more is done or written for the instance. */
        void failedUnexpectedly(String error) {
            decide(new Decision(Step.SAVE, Outcome.FAILED, Save.NOTHING, "internal", error, null, false));
        }

        void decide(Decision decision) {
            this.decision = decision;
            this.outcome = decision.outcome();
            if (decision.outcome() == Outcome.REFRESHED) {
                staleQrFound = instance.getQrExpiresAt() != null
                        && instance.getQrExpiresAt().toInstant().isBefore(Instant.now());
            }
        }

        /** What the write found: the application changed the row meanwhile, or a noted close was confirmed. */
        void outcome(Outcome outcome) {
            this.outcome = outcome;
        }

        @Override
        public String toString() {
            return instance + (outcome == null ? "" : " " + outcome.label());
        }
    }
}
