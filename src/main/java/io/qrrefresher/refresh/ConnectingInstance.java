package io.qrrefresher.refresh;

import java.time.OffsetDateTime;

/**
 * One {@code evolution_instances} row in status {@code connecting}, joined with what the refresher remembers about it.
 * Filled by camel-sql (column {@code instance_name} → {@link #setInstanceName}). {@link #toString()} never shows the
 * token, so the row can appear in logs and error messages.
 */
public class ConnectingInstance {

    /** The row's {@code id} as the database holds it: a UUID, Long, Integer or String, whatever the table's type. */
    private Object instanceId;
    private String instanceName;
    private String instanceToken;
    private Integer qrCount;
    private String qrCodeHash;
    private int consecutiveFailures;
    private boolean closeSeen;
    private int connectRequests;
    private int connectRequestsServed;
    private OffsetDateTime qrExpiresAt;
    private OffsetDateTime lastWebhookAt;
    private OffsetDateTime lastReadAt;
    private String evolutionServer;
    private String discoveredServers;
    /** Done in its run's second pass (its server was busy or its breaker open in the first): its calls may wait. */
    private boolean secondPass;

    public Object getInstanceId() {
        return instanceId;
    }

    public void setInstanceId(Object instanceId) {
        this.instanceId = instanceId;
    }

    public String getInstanceName() {
        return instanceName;
    }

    public void setInstanceName(String instanceName) {
        this.instanceName = instanceName;
    }

    public String getInstanceToken() {
        return instanceToken;
    }

    public void setInstanceToken(String instanceToken) {
        this.instanceToken = instanceToken;
    }

    /** The {@code count} of the last QR the refresher stored, or null. */
    public Integer getQrCount() {
        return qrCount;
    }

    public void setQrCount(Integer qrCount) {
        this.qrCount = qrCount;
    }

    /** SHA-256 of the {@code code} of the last QR the refresher stored, or null. */
    public String getQrCodeHash() {
        return qrCodeHash;
    }

    public void setQrCodeHash(String qrCodeHash) {
        this.qrCodeHash = qrCodeHash;
    }

    public int getConsecutiveFailures() {
        return consecutiveFailures;
    }

    public void setConsecutiveFailures(int consecutiveFailures) {
        this.consecutiveFailures = consecutiveFailures;
    }

    /** Evolution said {@code close} on an earlier read that has not been confirmed yet. */
    public boolean isCloseSeen() {
        return closeSeen;
    }

    public void setCloseSeen(boolean closeSeen) {
        this.closeSeen = closeSeen;
    }

    /** How many times the row was inserted in, or moved into, {@code connecting} (counted by a database trigger). */
    public int getConnectRequests() {
        return connectRequests;
    }

    public void setConnectRequests(int connectRequests) {
        this.connectRequests = connectRequests;
    }

    /** How many of those requests were already served (by seeing the instance connecting, or by one connect). */
    public int getConnectRequestsServed() {
        return connectRequestsServed;
    }

    public void setConnectRequestsServed(int connectRequestsServed) {
        this.connectRequestsServed = connectRequestsServed;
    }

    /** When the stored QR stops being scannable, or null when none is stored. */
    public OffsetDateTime getQrExpiresAt() {
        return qrExpiresAt;
    }

    public void setQrExpiresAt(OffsetDateTime qrExpiresAt) {
        this.qrExpiresAt = qrExpiresAt;
    }

    /** When a qrcode.updated last arrived for it, or null. */
    public OffsetDateTime getLastWebhookAt() {
        return lastWebhookAt;
    }

    public void setLastWebhookAt(OffsetDateTime lastWebhookAt) {
        this.lastWebhookAt = lastWebhookAt;
    }

    /** When Evolution last answered a refresh of it without an error, or null. */
    public OffsetDateTime getLastReadAt() {
        return lastReadAt;
    }

    public void setLastReadAt(OffsetDateTime lastReadAt) {
        this.lastReadAt = lastReadAt;
    }

    /** The row's evolution_server: the Evolution server that holds it, or null for the default one. */
    public String getEvolutionServer() {
        return evolutionServer;
    }

    public void setEvolutionServer(String evolutionServer) {
        this.evolutionServer = evolutionServer;
    }

    public boolean isSecondPass() {
        return secondPass;
    }

    public void setSecondPass(boolean secondPass) {
        this.secondPass = secondPass;
    }

    /** The servers whose list names the instance (comma-separated, EvolutionDiscovery), or null. */
    public String getDiscoveredServers() {
        return discoveredServers;
    }

    public void setDiscoveredServers(String discoveredServers) {
        this.discoveredServers = discoveredServers;
    }

    /** Whether the row has its own instance_token (else calls carry EVOLUTION_API_KEY). */
    public boolean hasOwnToken() {
        return instanceToken != null && !instanceToken.isBlank();
    }

    public boolean hasUnservedConnectRequest() {
        return connectRequests > connectRequestsServed;
    }

    @Override
    public String toString() {
        return "instance '" + instanceName + "'";
    }
}
