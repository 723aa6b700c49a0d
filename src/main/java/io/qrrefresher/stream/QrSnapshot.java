package io.qrrefresher.stream;

import java.sql.Timestamp;

/** What a live-stream client sees of an instance; filled by camel-sql. The token is only used to authorise. */
public class QrSnapshot {

    private String instanceName;
    private String rowId;
    private String instanceToken;
    private String instanceStatus;
    private String qrCode;
    private Timestamp lastQrUpdate;
    private Timestamp qrExpiresAt;
    private String pairingCode;
    private String userId;
    private String accessFingerprint;
    private String evolutionServer;
    private boolean linkValid;
    private Boolean linkPhoneLink;

    /** For a link token's caller: whether its link offers the pairing code (null for every other caller). */
    public Boolean getLinkPhoneLink() {
        return linkPhoneLink;
    }

    public void setLinkPhoneLink(Boolean linkPhoneLink) {
        this.linkPhoneLink = linkPhoneLink;
    }

    /**
     * Whether the link of the caller's link token (read with the row) is live and was made for this row and its owner;
     * false for every other caller.
     */
    public boolean isLinkValid() {
        return linkValid;
    }

    public void setLinkValid(boolean linkValid) {
        this.linkValid = linkValid;
    }

    /** The row's evolution_server (null: the default server). */
    public String getEvolutionServer() {
        return evolutionServer;
    }

    public void setEvolutionServer(String evolutionServer) {
        this.evolutionServer = evolutionServer;
    }

    public String getInstanceName() {
        return instanceName;
    }

    public void setInstanceName(String instanceName) {
        this.instanceName = instanceName;
    }

    /** The row's {@code id} as text: the row a viewer token must name. */
    public String getRowId() {
        return rowId;
    }

    public void setRowId(String rowId) {
        this.rowId = rowId;
    }

    public String getInstanceToken() {
        return instanceToken;
    }

    public void setInstanceToken(String instanceToken) {
        this.instanceToken = instanceToken;
    }

    public String getInstanceStatus() {
        return instanceStatus;
    }

    public void setInstanceStatus(String instanceStatus) {
        this.instanceStatus = instanceStatus;
    }

    public String getQrCode() {
        return qrCode;
    }

    public void setQrCode(String qrCode) {
        this.qrCode = qrCode;
    }

    public Timestamp getLastQrUpdate() {
        return lastQrUpdate;
    }

    public void setLastQrUpdate(Timestamp lastQrUpdate) {
        this.lastQrUpdate = lastQrUpdate;
    }

    public Timestamp getQrExpiresAt() {
        return qrExpiresAt;
    }

    public void setQrExpiresAt(Timestamp qrExpiresAt) {
        this.qrExpiresAt = qrExpiresAt;
    }

    /** The phone-number pairing code beside the QR, or null in QR mode. */
    public String getPairingCode() {
        return pairingCode;
    }

    public void setPairingCode(String pairingCode) {
        this.pairingCode = pairingCode;
    }

    /** The row's {@code user_id} as text: the owner a user JWT must name. */
    public String getUserId() {
        return userId;
    }

    public void setUserId(String userId) {
        this.userId = userId;
    }

    /** A digest of the row's token and owner: a stream ends when it changes. */
    public String getAccessFingerprint() {
        return accessFingerprint;
    }

    public void setAccessFingerprint(String accessFingerprint) {
        this.accessFingerprint = accessFingerprint;
    }

    @Override
    public String toString() {
        return "instance '" + instanceName + "' " + instanceStatus;
    }
}
