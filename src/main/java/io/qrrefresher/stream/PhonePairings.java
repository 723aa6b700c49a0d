package io.qrrefresher.stream;

import java.util.Optional;

import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.QrContent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** Carries a {@link PairingRequest} through the route {@code request-pairing-code}. */
public final class PhonePairings {

    /** The exchange property with the E.164 digits the person typed (set by {@link QrRenewals}). */
    public static final String NUMBER_PROPERTY = "pairingNumber";
    /** The exchange property with the {@link PairingRequest} of the route (read by {@link QrRenewals}). */
    public static final String REQUEST_PROPERTY = "pairing";
    /** Reads of the state after a logout, 500 ms apart (the route's delay), before giving up. */
    static final int MAX_WAITS_AFTER_LOGOUT = 10;

    private static final Logger LOG = LoggerFactory.getLogger(PhonePairings.class);

    private final Optional<String> globalApiKey;
    private final QrContent qrContent;

    public PhonePairings(Optional<String> globalApiKey, QrContent qrContent) {
        this.globalApiKey = globalApiKey;
        this.qrContent = qrContent;
    }

    /** Starts the request for {@code row}, with the instance token or else the global key. */
    public PairingRequest begin(QrSnapshot row, String number) {
        String apiKey = EvolutionCall.apiKeyFor(row.getInstanceToken(), globalApiKey);
        MDC.put("instance", row.getInstanceName());
        return new PairingRequest(row.getInstanceName(), apiKey, number, MAX_WAITS_AFTER_LOGOUT, qrContent);
    }

    public void waited(PairingRequest request) {
        request.waited();
    }

    /** One log line per request; the body says the route got this far (the answer is built from the request). */
    public String finish(PairingRequest request) {
        switch (request.getResult()) {
            case PAIRING_CODE, REQUESTED, OPEN -> LOG.info("{}: {}", request, request.getResult().name().toLowerCase());
            default -> LOG.warn("{}: {}: {}", request, request.getResult().name().toLowerCase(), request.getProblem());
        }
        MDC.remove("instance");
        return "pairing";
    }
}
