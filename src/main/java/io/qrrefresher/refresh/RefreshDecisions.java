package io.qrrefresher.refresh;

import io.qrrefresher.evolution.QrFingerprint;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.EvolutionReply;
import io.qrrefresher.evolution.QrContent;

/**
 * The per-instance state machine of the refresh, as one pure function: what Evolution API answered to a call, and what
 * is stored for the instance, decide the next step. The route {@code refresh-instance} branches on
 * {@link Decision#next()}; {@code save-refresh-outcome} on {@link Decision#save()}. Nothing here does I/O, so every
 * row of the outcome table is a unit test ({@code RefreshDecisionsTest}).
 *
 * <p>The rules: read the QR only while Evolution says {@code connecting}; mark a paired instance {@code open}; never
 * {@code connect} a closed instance (that opens a new WhatsApp socket) except once per explicit request, claimed in
 * the database first; a {@code close} is only noted, and acted on when a later read confirms it.
 */
public final class RefreshDecisions {

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
            "bad_reply", "bad_image", "bad_code", "not_loaded", "no_apikey", "unavailable", "circuit_open", "internal");

    private final QrContent qrContent;

    public RefreshDecisions(QrContent qrContent) {
        this.qrContent = qrContent;
    }

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
    public Decision unanswered(String error, boolean shortCircuited) {
        return shortCircuited ? Decision.failed("circuit_open", error, Save.NOTHING)
                : Decision.failed("unavailable", error, Save.RECORD_FAILURE);
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
}
