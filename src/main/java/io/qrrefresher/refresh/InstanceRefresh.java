package io.qrrefresher.refresh;

import java.time.Instant;

import io.qrrefresher.alert.Cause;

import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.EvolutionCallSite;
import io.qrrefresher.evolution.EvolutionReply;
import io.qrrefresher.refresh.RefreshDecisions.Decision;
import io.qrrefresher.refresh.RefreshDecisions.Save;
import io.qrrefresher.refresh.RefreshDecisions.Step;

/**
 * The working state of one instance during one run: the instance and the last {@link RefreshDecisions.Decision}. It travels as the exchange property {@code refresh}; the routes read it with
 * simple expressions such as {@code ${exchangeProperty.refresh.next}} and bind it into SQL as
 * {@code :#${exchangeProperty.refresh.instanceId}}.
 */
public final class InstanceRefresh implements EvolutionCallSite {

    private final ConnectingInstance instance;
    private final String apiKey;
    private final RefreshDecisions decisions;
    private Decision decision;
    private Outcome outcome;
    private boolean staleQrFound;
    private final boolean stateOnly;

    InstanceRefresh(ConnectingInstance instance, String apiKey, RefreshDecisions decisions, Coverage.Plan plan) {
        this.instance = instance;
        this.apiKey = apiKey;
        this.decisions = decisions;
        this.stateOnly = plan == Coverage.Plan.SAFETY_READ;
        decide(decisions.start(apiKey != null, plan == Coverage.Plan.SKIP));
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

    public boolean isShortCircuited() {
        return "circuit_open".equals(decision.failureReason());
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
        decide(decisions.afterReply(getCall(), reply, RefreshDecisions.Stored.of(instance, stateOnly)));
    }

    /** Evolution API could not answer the current call. */
    @Override
    public void unavailable(String error, boolean shortCircuited) {
        decide(decisions.unanswered(error, shortCircuited));
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
