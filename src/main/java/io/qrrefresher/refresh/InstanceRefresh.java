package io.qrrefresher.refresh;

import java.util.UUID;

import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.EvolutionCallSite;
import io.qrrefresher.evolution.EvolutionReply;

/**
 * The working state of one instance during one run: what to call next, what to write, and the outcome. It travels as
 * the exchange property {@code refresh}; the routes read it with simple expressions such as
 * {@code ${exchangeProperty.refresh.next}} and bind it into SQL as {@code :#${exchangeProperty.refresh.instanceId}}.
 */
public final class InstanceRefresh implements EvolutionCallSite {

    /** The next step of the route {@code refresh-instance}. */
    public enum Next {
        READ_STATE, CLAIM_CONNECT, READ_QR, SAVE
    }

    /** What {@code save-refresh-outcome} writes. */
    public enum Save {
        NOTHING, STORE_QR, MARK_OPEN, NOTE_CLOSE, RECORD_FAILURE, RESET_STATE
    }

    private final ConnectingInstance instance;
    private final String apiKey;
    private Next next;
    private EvolutionCall call;
    private Save save = Save.NOTHING;
    private Outcome outcome;
    private String error;
    private String failureReason;
    private boolean unauthorized;
    private boolean shortCircuited;
    private EvolutionReply reply;
    private boolean connectedClosedInstance;
    private String qrBase64;
    private String qrCodeHash;
    private Integer qrCount;

    InstanceRefresh(ConnectingInstance instance, String apiKey) {
        this.instance = instance;
        this.apiKey = apiKey;
    }

    public ConnectingInstance instance() {
        return instance;
    }

    public UUID getInstanceId() {
        return instance.getInstanceId();
    }

    /** The path segment of the call to make: connectionState or connect (route {@code call-evolution-api}). */
    public String getCallPath() {
        return getCall().pathSegment();
    }

    /** The instance name as one percent-encoded URL path segment (route {@code call-evolution-api}). */
    public String getInstanceNameInPath() {
        return io.qrrefresher.evolution.EvolutionRequests.pathSegment(instance.getInstanceName());
    }

    public String getInstanceName() {
        return instance.getInstanceName();
    }

    /** The key sent in the {@code apikey} header: the instance token, or the global key when the row has none. */
    public String apiKey() {
        return apiKey;
    }

    public Next getNext() {
        return next;
    }

    public EvolutionCall getCall() {
        return call;
    }

    public Save getSave() {
        return save;
    }

    public Outcome getOutcome() {
        return outcome;
    }

    public String getError() {
        return error;
    }

    public boolean isUnauthorized() {
        return unauthorized;
    }

    /** True when this refresh sent {@code connect} to an instance that Evolution had closed (one per request). */
    public boolean isConnectedClosedInstance() {
        return connectedClosedInstance;
    }

    public String getQrBase64() {
        return qrBase64;
    }

    public String getQrCodeHash() {
        return qrCodeHash;
    }

    public Integer getQrCount() {
        return qrCount;
    }

    public int getConnectRequests() {
        return instance.getConnectRequests();
    }

    public boolean isShortCircuited() {
        return shortCircuited;
    }

    /** The last answer of Evolution API. */
    public EvolutionReply reply() {
        return reply;
    }

    /** Evolution API answered the current call (any answer, including an error). */
    public void replied(EvolutionReply reply) {
        this.reply = reply;
    }

    /**
     * Evolution API could not answer the current call. A call the open circuit breaker did not even make says nothing
     * about the instance, so it is not recorded against it.
     */
    public void unavailable(String error, boolean shortCircuited) {
        this.shortCircuited = shortCircuited;
        fail(shortCircuited ? "circuit_open" : "unavailable", error,
                shortCircuited ? Save.NOTHING : Save.RECORD_FAILURE);
    }

    public String getFailureReason() {
        return failureReason;
    }

    public boolean isQrUpdated() {
        return outcome == Outcome.REFRESHED;
    }

    void call(EvolutionCall call) {
        this.next = call == EvolutionCall.CONNECTION_STATE ? Next.READ_STATE : Next.READ_QR;
        this.call = call;
    }

    void claimConnect() {
        this.next = Next.CLAIM_CONNECT;
    }

    void connectingClosedInstance() {
        this.connectedClosedInstance = true;
        call(EvolutionCall.CONNECT);
    }

    void finish(Outcome outcome, Save save) {
        this.next = Next.SAVE;
        this.outcome = outcome;
        this.save = save;
    }

    /**
     * The refresh failed.
     *
     * @param reason a short, fixed word for metrics: not_found, unauthorized, bad_reply, not_loaded, no_apikey,
     *               unavailable, circuit_open, internal
     */
    void fail(String reason, String error, Save save) {
        finish(Outcome.FAILED, save);
        this.failureReason = reason;
        this.error = error;
    }

    void failUnauthorized(String error) {
        fail("unauthorized", error, Save.RECORD_FAILURE);
        this.unauthorized = true;
    }

    void newQr(String base64, String codeHash, Integer count) {
        this.qrBase64 = base64;
        this.qrCodeHash = codeHash;
        this.qrCount = count;
        finish(Outcome.REFRESHED, Save.STORE_QR);
    }

    void outcome(Outcome outcome) {
        this.outcome = outcome;
    }

    @Override
    public String toString() {
        return instance + (outcome == null ? "" : " " + outcome.label());
    }
}
