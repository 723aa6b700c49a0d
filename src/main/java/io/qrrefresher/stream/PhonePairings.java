package io.qrrefresher.stream;

import java.util.Optional;

import io.qrrefresher.evolution.EvolutionCallSite;
import io.qrrefresher.evolution.EvolutionRequests;
import io.qrrefresher.evolution.QrContent;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/** Carries a {@link PairingRequest} through the route {@code request-pairing-code}. */
public final class PhonePairings {

    /** The exchange property with the E.164 digits the person typed (set by {@link QrRenewals}). */
    public static final String NUMBER_PROPERTY = "pairingNumber";
    /** Reads of the state after a logout, 500 ms apart (the route's delay), before giving up. */
    static final int MAX_WAITS_AFTER_LOGOUT = 10;

    private static final Logger LOG = LoggerFactory.getLogger(PhonePairings.class);

    private final Optional<String> globalApiKey;
    private final QrContent qrContent;

    public PhonePairings(Optional<String> globalApiKey, QrContent qrContent) {
        this.globalApiKey = globalApiKey;
        this.qrContent = qrContent;
    }

    /** Starts the request for the row in the body, with the instance token or else the global key. */
    public void begin(Exchange exchange) {
        QrSnapshot row = exchange.getMessage().getBody(QrSnapshot.class);
        String apiKey = EvolutionRequests.apiKeyFor(row.getInstanceToken(), globalApiKey);
        exchange.setProperty(EvolutionCallSite.PROPERTY, new PairingRequest(row.getInstanceName(), apiKey,
                exchange.getProperty(NUMBER_PROPERTY, String.class), MAX_WAITS_AFTER_LOGOUT, qrContent));
        exchange.removeProperty(NUMBER_PROPERTY);
        MDC.put("instance", row.getInstanceName());
        exchange.getMessage().setBody(null);
    }

    public void waited(@ExchangeProperty(EvolutionCallSite.PROPERTY) PairingRequest request) {
        request.waited();
    }

    /** One log line per request; the body says the route got this far (the answer is built from the request). */
    public void finish(Exchange exchange) {
        PairingRequest request = exchange.getProperty(EvolutionCallSite.PROPERTY, PairingRequest.class);
        switch (request.getResult()) {
            case PAIRING_CODE, REQUESTED, OPEN -> LOG.info("{}: {}", request, request.getResult().name().toLowerCase());
            default -> LOG.warn("{}: {}: {}", request, request.getResult().name().toLowerCase(), request.getProblem());
        }
        MDC.remove("instance");
        exchange.getMessage().setBody("pairing");
    }
}
