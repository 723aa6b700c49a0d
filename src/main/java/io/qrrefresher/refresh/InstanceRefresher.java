package io.qrrefresher.refresh;

import java.util.Optional;

import io.qrrefresher.Failures;
import io.qrrefresher.evolution.EvolutionCall;
import io.qrrefresher.evolution.EvolutionCallSite;
import io.qrrefresher.evolution.EvolutionReply;
import io.qrrefresher.evolution.QrContent;
import io.qrrefresher.ops.QrMetrics;
import io.qrrefresher.refresh.InstanceRefresh.Save;
import org.apache.camel.Exchange;
import org.apache.camel.ExchangeProperty;
import org.apache.camel.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * Decides, for one instance, what to do after each answer of Evolution API (Evolution API v2, as recorded in src/test/resources/evolution): read the QR only while
 * connecting, mark paired instances open, never reconnect a closed instance except once per explicit request, and
 * confirm a close on a second read before telling the application.
 */
public final class InstanceRefresher {

    public static final String PROPERTY = EvolutionCallSite.PROPERTY;

    private static final Logger LOG = LoggerFactory.getLogger(InstanceRefresher.class);

    private final Optional<String> globalApiKey;
    private final QrContent qrContent;
    private final QrMetrics metrics;

    public InstanceRefresher(Optional<String> globalApiKey, QrContent qrContent, QrMetrics metrics) {
        this.globalApiKey = globalApiKey;
        this.qrContent = qrContent;
        this.metrics = metrics;
    }

    /** Starts the refresh of the {@link ConnectingInstance} in the body. */
    public void begin(Exchange exchange) {
        ConnectingInstance instance = exchange.getMessage().getBody(ConnectingInstance.class);
        String token = instance.getInstanceToken();
        String apiKey = token != null && !token.isBlank() ? token : globalApiKey.orElse(null);
        InstanceRefresh refresh = new InstanceRefresh(instance, apiKey);
        exchange.setProperty(PROPERTY, refresh);
        MDC.put("instance", instance.getInstanceName());
        exchange.getMessage().setBody(null);
        if (apiKey == null) {
            refresh.fail("no_apikey", "no apikey (instance_token is empty and EVOLUTION_API_KEY is not set)",
                    Save.RECORD_FAILURE);
        } else {
            refresh.call(EvolutionCall.CONNECTION_STATE);
        }
    }

    public void afterConnectionState(@ExchangeProperty(PROPERTY) InstanceRefresh refresh) {
        EvolutionReply reply = refresh.reply();
        if (refresh.getNext() == InstanceRefresh.Next.SAVE || failed(refresh, reply)) {
            return;
        }
        if (reply.kind() != EvolutionReply.Kind.STATE) {
            refresh.fail("bad_reply", "connectionState answered with a " + reply.kind() + " body instead of a state",
                    Save.RECORD_FAILURE);
            return;
        }
        actOnState(refresh, reply.state(), true);
    }

    /** The claim of the pending connect request succeeded (one row) or another run got it first (none). */
    public void afterConnectClaim(@ExchangeProperty(PROPERTY) InstanceRefresh refresh,
                                  @Header("CamelSqlRowCount") Integer claimedRows) {
        if (claimedRows != null && claimedRows > 0) {
            LOG.info("{} is closed in Evolution API and was asked for a QR: sending one connect", refresh.instance());
            refresh.connectingClosedInstance();
        } else {
            refresh.finish(Outcome.CLOSE_PENDING, Save.NOTE_CLOSE);
        }
    }

    public void afterQrRead(@ExchangeProperty(PROPERTY) InstanceRefresh refresh) {
        EvolutionReply reply = refresh.reply();
        if (refresh.getNext() == InstanceRefresh.Next.SAVE || failed(refresh, reply)) {
            return;
        }
        ConnectingInstance instance = refresh.instance();
        switch (reply.kind()) {
            case QR -> {
                String hash = QrFingerprint.of(reply.qrCode());
                boolean codeChanged = !hash.equals(instance.getQrCodeHash());
                boolean countRose = reply.qrCount() != null && instance.getQrCount() != null
                        && reply.qrCount() > instance.getQrCount();
                if (codeChanged || countRose) {
                    QrContent.Verdict image = qrContent.imageFor(reply.qrCode(), reply.qrBase64());
                    if (!image.accepted()) {
                        // never stored nor streamed; the QR stored before stays
                        metrics.qrRejected("poll", image.reason());
                        refresh.fail(image.reason(), "connect answered a QR that is refused: " + image.problem(),
                                Save.RECORD_FAILURE);
                        return;
                    }
                    refresh.newQr(image.image(), hash, reply.qrCount());
                } else {
                    refresh.finish(Outcome.UNCHANGED, resetIfNeeded(instance));
                }
            }
            case NO_QR_YET -> refresh.finish(Outcome.NO_QR_YET, resetIfNeeded(instance));
            case STATE -> actOnState(refresh, reply.state(), false);
            default -> refresh.fail("bad_reply", "unexpected " + reply.kind() + " reply to connect", Save.RECORD_FAILURE);
        }
    }

    /** Reads what the write of {@code save-refresh-outcome} changed and logs the outcome. */
    public void afterSave(Exchange exchange) {
        InstanceRefresh refresh = exchange.getProperty(PROPERTY, InstanceRefresh.class);
        Integer updated = exchange.getMessage().getHeader("CamelSqlUpdateCount", Integer.class);
        switch (refresh.getSave()) {
            case STORE_QR, MARK_OPEN -> {
                if (updated != null && updated == 0) {
                    refresh.outcome(Outcome.LEFT_ALONE);
                }
            }
            case NOTE_CLOSE -> {
                Long closed = exchange.getMessage().getBody(Long.class);
                if (closed != null && closed > 0) {
                    refresh.outcome(Outcome.CLOSED);
                }
            }
            default -> {
            }
        }
        log(refresh);
    }

    /** Something unexpected went wrong for this instance (a database error, say): record it, keep the run going. */
    public void failedUnexpectedly(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        InstanceRefresh refresh = exchange.getProperty(PROPERTY, InstanceRefresh.class);
        if (refresh == null) {
            LOG.warn("Could not start a refresh: {}", Failures.describe(cause));
            return;
        }
        refresh.fail("internal", Failures.describe(cause), Save.NOTHING);
        LOG.warn("{}: refresh failed: {}", refresh.instance(), refresh.getError());
    }

    private void actOnState(InstanceRefresh refresh, String state, boolean mayReadQr) {
        ConnectingInstance instance = refresh.instance();
        if (state == null) {
            refresh.fail("not_loaded", "instance is not loaded in Evolution API (no state: Evolution may be starting up)",
                    Save.RECORD_FAILURE);
            return;
        }
        switch (state) {
            case "connecting" -> {
                if (mayReadQr) {
                    refresh.call(EvolutionCall.CONNECT);
                } else {
                    refresh.finish(Outcome.NO_QR_YET, resetIfNeeded(instance));
                }
            }
            case "open" -> refresh.finish(Outcome.OPENED, Save.MARK_OPEN);
            case "close" -> {
                if (mayReadQr && !refresh.isConnectedClosedInstance() && instance.hasUnservedConnectRequest()) {
                    refresh.claimConnect();
                } else {
                    refresh.finish(Outcome.CLOSE_PENDING, Save.NOTE_CLOSE);
                }
            }
            default -> refresh.fail("bad_reply", "Evolution API reported an unknown state '" + state + "'",
                    Save.RECORD_FAILURE);
        }
    }

    private static boolean failed(InstanceRefresh refresh, EvolutionReply reply) {
        if (!reply.isFailure()) {
            return false;
        }
        switch (reply.kind()) {
            case UNAUTHORIZED -> refresh.failUnauthorized(reply.problem());
            case NOT_FOUND -> refresh.fail("not_found", reply.problem(), Save.RECORD_FAILURE);
            default -> refresh.fail("bad_reply", reply.problem(), Save.RECORD_FAILURE);
        }
        return true;
    }

    private static Save resetIfNeeded(ConnectingInstance instance) {
        boolean stateToClear = instance.getConsecutiveFailures() > 0 || instance.isCloseSeen()
                || instance.hasUnservedConnectRequest();
        return stateToClear ? Save.RESET_STATE : Save.NOTHING;
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
