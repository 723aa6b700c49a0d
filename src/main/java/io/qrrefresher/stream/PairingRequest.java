package io.qrrefresher.stream;

import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.EvolutionReply;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.evolution.QrFingerprint;

/**
 * One request for a phone-number pairing code ("link with phone number instead"), as a small state machine the route
 * {@code request-pairing-code} walks: read the state; a waiting instance (a QR is shown) is logged out once, then
 * waited for until Evolution says {@code close}; a closed instance gets one {@code connect?number=…}, which opens the
 * socket that asks WhatsApp for the code (Evolution honours {@code number} only on {@code close}). Nothing here does
 * I/O: {@code PairingRequestTest} walks every path. The exchange property {@code refresh} holds it, as for a refresh.
 */
public final class PairingRequest implements EvolutionCall.Site {

    /** The next step of the route. */
    public enum Step {
        CALL_CONNECTION_STATE, CALL_LOGOUT, WAIT, CALL_CONNECT, DONE
    }

    /** How it ended; the HTTP answer follows from it. */
    public enum Result {
        /** The code came with connect's reply. */
        PAIRING_CODE,
        /** The socket is opening; the code comes with the next QR (live stream). */
        REQUESTED,
        /** The instance is paired: nothing to link. */
        OPEN,
        /** Logged out, but Evolution still said connecting after every wait. */
        NOT_CLOSED,
        /** Evolution answered with a failure (unknown instance, key refused, error body). */
        EVOLUTION_FAILED,
        /** No answer: timeout, connection refused, or the circuit breaker is open. */
        UNAVAILABLE
    }

    private final String instanceName;
    private final String server;
    private final String apiKey;
    private final String number;
    private final int maxWaits;
    private final QrContent qrContent;
    private Step next = Step.CALL_CONNECTION_STATE;
    private Result result;
    private String problem;
    private boolean loggedOut;
    private int waits;
    private boolean connectAttempted;
    private String qrImage;
    private String qrCodeHash;
    private Integer qrCount;
    private String pairingCode;

    /**
     * @param number   the phone number, E.164 digits without "+" (see {@link PhoneNumbers})
     * @param maxWaits how many times to read the state again after the logout before giving up
     */
    public PairingRequest(String instanceName, String server, String apiKey, String number, int maxWaits,
                          QrContent qrContent) {
        this.instanceName = instanceName;
        this.server = server;
        this.apiKey = apiKey;
        this.number = number;
        this.maxWaits = maxWaits;
        this.qrContent = qrContent;
        if (apiKey == null) {
            done(Result.EVOLUTION_FAILED, "no apikey (instance_token is empty and EVOLUTION_API_KEY is not set)");
        }
    }

    @Override
    public String getInstanceName() {
        return instanceName;
    }

    /** The Evolution server of the instance (null when its row names one that is not configured). */
    @Override
    public String getServer() {
        return server;
    }

    /** Refused before any call: the row names an Evolution server that is not configured. */
    void unknownServer(String problem) {
        done(Result.EVOLUTION_FAILED, problem);
    }

    @Override
    public String getApiKey() {
        return apiKey;
    }

    @Override
    public EvolutionCall getCall() {
        return switch (next) {
            case CALL_LOGOUT -> EvolutionCall.LOGOUT;
            case CALL_CONNECT -> EvolutionCall.CONNECT;
            default -> EvolutionCall.CONNECTION_STATE;
        };
    }

    @Override
    public String getHttpQuery() {
        return next == Step.CALL_CONNECT ? "number=" + number : null;
    }

    @Override
    public void replied(EvolutionReply reply) {
        switch (getCall()) {
            case CONNECTION_STATE -> afterState(reply);
            case LOGOUT -> afterLogout(reply);
            case CONNECT -> afterConnect(reply);
        }
    }

    @Override
    public void unavailable(io.qrrefresher.evolution.EvolutionCall.Unanswered why) {
        if (next == Step.CALL_CONNECT && !why.shortCircuited()) {
            // the request may have reached Evolution and opened the socket
            connectAttempted = true;
        }
        done(Result.UNAVAILABLE, why.error());
    }

    /** The route waited before reading the state again. */
    public void waited() {
        waits++;
        next = Step.CALL_CONNECTION_STATE;
    }

    private void afterState(EvolutionReply reply) {
        if (reply.isFailure() || reply.kind() != EvolutionReply.Kind.STATE) {
            done(Result.EVOLUTION_FAILED, reply.isFailure() ? reply.problem()
                    : "connectionState answered with a " + reply.kind() + " body instead of a state");
            return;
        }
        String state = reply.state();
        if (state == null) {
            done(Result.EVOLUTION_FAILED, "instance is not loaded in Evolution API (no state)");
        } else if (state.equals("open")) {
            done(Result.OPEN, null);
        } else if (state.equals("close")) {
            next = Step.CALL_CONNECT;
        } else if (!loggedOut) {
            next = Step.CALL_LOGOUT;
        } else if (waits < maxWaits) {
            next = Step.WAIT;
        } else {
            done(Result.NOT_CLOSED, "Evolution API still says '" + state + "' after the logout");
        }
    }

    /** 2xx: logged out; 400: "is not connected", closed already. Either way the state is read again. */
    private void afterLogout(EvolutionReply reply) {
        int status = reply.httpStatus();
        if ((status >= 200 && status < 300) || status == 400) {
            loggedOut = true;
            next = Step.WAIT;
        } else {
            done(Result.EVOLUTION_FAILED, reply.problem());
        }
    }

    private void afterConnect(EvolutionReply reply) {
        if (reply.isFailure()) {
            done(Result.EVOLUTION_FAILED, reply.problem());
            return;
        }
        connectAttempted = true;
        switch (reply.kind()) {
            case STATE -> done("open".equals(reply.state()) ? Result.OPEN : Result.REQUESTED, null);
            case QR -> {
                // without a pairing code, the reply is the QR cached before the new socket (Evolution answers what it
                // has after 2 s): nothing of it is stored, the code comes with the next rotation
                QrContent.Verdict image = qrContent.imageFor(reply.qrCode());
                if (reply.pairingCode() != null && image.accepted()) {
                    qrImage = image.image();
                    qrCodeHash = QrFingerprint.of(reply.qrCode());
                    qrCount = reply.qrCount();
                    pairingCode = reply.pairingCode();
                    done(Result.PAIRING_CODE, null);
                } else {
                    done(Result.REQUESTED, null);
                }
            }
            default -> done(Result.REQUESTED, null);
        }
    }

    private void done(Result result, String problem) {
        this.result = result;
        this.problem = problem;
        this.next = Step.DONE;
    }

    public Step getNext() {
        return next;
    }

    /** The request has its result (route request-pairing-code: the loop ends). */
    public boolean isDone() {
        return next == Step.DONE;
    }

    /** The route waits (500 ms) before the next read of the state. */
    public boolean isWaiting() {
        return next == Step.WAIT;
    }

    public Result getResult() {
        return result;
    }

    /** Why it failed, from Evolution's answer (never holds the number). */
    public String getProblem() {
        return problem;
    }

    /** Whether connect reached, or may have reached, Evolution: the row then goes to connecting. */
    public boolean isConnectAttempted() {
        return connectAttempted;
    }

    public String getQrImage() {
        return qrImage;
    }

    public String getQrCodeHash() {
        return qrCodeHash;
    }

    public Integer getQrCount() {
        return qrCount;
    }

    public String getPairingCode() {
        return pairingCode;
    }

    /** The number as logs may show it: the last 4 digits only. */
    public String getMaskedNumber() {
        return PhoneNumbers.masked(number);
    }

    @Override
    public String toString() {
        return "pairing request for instance '" + instanceName + "' (" + getMaskedNumber() + ")";
    }
}
