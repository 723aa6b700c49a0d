package io.qrrefresher.stream;

import java.util.Optional;

import io.qrrefresher.config.Settings.EvolutionServer;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.EvolutionServers;
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

    private final EvolutionServers servers;
    private final QrContent qrContent;

    public PhonePairings(EvolutionServers servers, QrContent qrContent) {
        this.servers = servers;
        this.qrContent = qrContent;
    }

    /**
     * Starts the request for {@code row} on its Evolution server, with the instance token or else the server's key.
     */
    public PairingRequest begin(QrSnapshot row, String number) {
        MDC.put("instance", row.getInstanceName());
        Optional<EvolutionServer> server = servers.of(row.getEvolutionServer());
        if (server.isEmpty()) {
            PairingRequest refused = new PairingRequest(row.getInstanceName(), null, null, number,
                    MAX_WAITS_AFTER_LOGOUT, qrContent);
            refused.unknownServer(servers.unknown(row.getEvolutionServer()));
            return refused;
        }
        String apiKey = EvolutionCall.apiKeyFor(row.getInstanceToken(), server.get().apiKey());
        return new PairingRequest(row.getInstanceName(), server.get().name(), apiKey, number, MAX_WAITS_AFTER_LOGOUT,
                qrContent);
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
