package io.qrrefresher.events;


import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * One notification of the channel {@code qr_code_updated} (see migration V2): {@code qr_requested},
 * {@code qr_updated}, {@code status_changed} or {@code heartbeat}. Notifications are hints, never the record: the
 * handlers read the table.
 */
public final class QrEvent {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String type;
    /** The row's id in its text form (the table's id may be a uuid, a bigint, text...). */
    private final String instanceId;
    private final String instanceName;
    private final String heartbeatId;

    private QrEvent(String type, String instanceId, String instanceName, String heartbeatId) {
        this.type = type;
        this.instanceId = instanceId;
        this.instanceName = instanceName;
        this.heartbeatId = heartbeatId;
    }

    static QrEvent parse(String payload) {
        try {
            JsonNode json = JSON.readTree(payload);
            String id = json.path("instance_id").asText(null);
            return new QrEvent(json.path("event").asText("unknown"), id,
                    json.path("instance_name").asText(null), json.path("id").asText(null));
        } catch (Exception e) {
            return new QrEvent("unknown", null, null, null);
        }
    }

    public String getType() {
        return type;
    }

    public String getInstanceId() {
        return instanceId;
    }

    public String getInstanceName() {
        return instanceName;
    }

    String heartbeatId() {
        return heartbeatId;
    }

    @Override
    public String toString() {
        return type + (instanceName == null ? "" : " for instance '" + instanceName + "'");
    }
}
