package io.qrrefresher.webhook;

import java.time.OffsetDateTime;

/**
 * One Evolution API webhook the refresher acts on. Read by the route {@code evolution-webhooks} as
 * {@code ${exchangeProperty.webhookEvent.kind}} and bound into its SQL.
 */
public final class WebhookEvent {

    public enum Kind {
        /** {@code qrcode.updated} with a new QR. */
        QR,
        /**
         * Evolution's QR limit ended the session: {@code qrcode.updated} with {@code statusCode: 500}, or
         * {@code connection.update} refused (statusReason 428).
         */
        QR_LIMIT,
        /** {@code connection.update} open: paired. */
        OPENED,
        /** A terminal close: {@code connection.update} close, {@code status.instance} closed, logout. */
        CLOSED
    }

    private final Kind kind;
    private final String event;
    private final String instanceName;
    private final String qrBase64;
    private final String qrCodeHash;
    private final OffsetDateTime eventTime;
    private final String pairingCode;
    private String server;

    WebhookEvent(Kind kind, String event, String instanceName, String qrBase64, String qrCodeHash,
                 OffsetDateTime eventTime) {
        this(kind, event, instanceName, qrBase64, qrCodeHash, eventTime, null);
    }

    WebhookEvent(Kind kind, String event, String instanceName, String qrBase64, String qrCodeHash,
                 OffsetDateTime eventTime, String pairingCode) {
        this.pairingCode = pairingCode;
        this.kind = kind;
        this.event = event;
        this.instanceName = instanceName;
        this.qrBase64 = qrBase64;
        this.qrCodeHash = qrCodeHash;
        this.eventTime = eventTime;
    }

    public Kind getKind() {
        return kind;
    }

    /**
     * The configured Evolution server its {@code server_url} names, when several are configured (null otherwise):
     * the event is then taken only for an instance of that server (route evolution-webhooks).
     */
    public String getServer() {
        return server;
    }

    WebhookEvent sentBy(String server) {
        this.server = server;
        return this;
    }

    /** Evolution's QR limit ended the pairing (qrcode.updated statusCode 500, or connection.update refused). */
    public boolean isQrLimit() {
        return kind == Kind.QR_LIMIT;
    }

    /** The event as Evolution named it, such as {@code qrcode.updated}. */
    public String getEvent() {
        return event;
    }

    /** The status a state change sets: open when paired, close otherwise; null for a QR. */
    public String getNewStatus() {
        return switch (kind) {
            case QR -> null;
            case OPENED -> "open";
            case CLOSED, QR_LIMIT -> "close";
        };
    }

    /** The checked phone-number pairing code that came with the QR, or null (QR mode). */
    public String getPairingCode() {
        return pairingCode;
    }

    public String getInstanceName() {
        return instanceName;
    }

    public String getQrBase64() {
        return qrBase64;
    }

    public String getQrCodeHash() {
        return qrCodeHash;
    }

    /**
     * When Evolution sent the event, on the service's own clock: the arrival time less how late it came (Evolution's
     * {@code date_time} is its local time with a fake "Z", good only for measuring delays, see EvolutionClocks).
     * Orders QR deliveries; null for events that are not QR codes.
     */
    public OffsetDateTime getEventTime() {
        return eventTime;
    }

    @Override
    public String toString() {
        return event + " for instance '" + instanceName + "'";
    }
}
