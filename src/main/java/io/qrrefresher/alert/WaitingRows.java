package io.qrrefresher.alert;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.qrrefresher.alert.Diagnosis.Fleet;
import io.qrrefresher.alert.Diagnosis.Waiting;

import static io.qrrefresher.common.JsonAnswers.number;

/**
 * The rows of the route {@code read-waiting-instances} (connecting instances that are stale or waited past
 * ALERT_NO_QR_AFTER), each classified by {@link Diagnosis}: what the failure check alerts on, and what the status
 * endpoint compares one instance with (is it alone, or is the whole server without QR codes?).
 */
public record WaitingRows(int connecting, List<Row> rows) {

    /**
     * One waiting instance: its name, whether it is stale, and its cause (null: not a problem yet); its Evolution server
     * as the row names it or the servers' lists do ({@code ""}: neither, the default server), how many connecting rows
     * that server has, and since when it waits (null when unknown).
     */
    public record Row(String name, boolean stale, Cause cause, String server, int serverConnecting,
                      java.time.Instant waitingSince) {
    }

    /** Classifies the rows read by {@code read-waiting-instances}. */
    public static WaitingRows classify(List<?> rows, boolean evolutionUnreachable) {
        int connecting = 0;
        List<Row> classified = new ArrayList<>();
        for (Object item : rows) {
            Map<?, ?> row = (Map<?, ?>) item;
            connecting = number(row.get("connecting_count")).intValue();
            Fleet fleet = new Fleet(connecting, number(row.get("key_rejected_count")).intValue(),
                    evolutionUnreachable);
            boolean stale = Boolean.TRUE.equals(row.get("stale"));
            Waiting waiting = new Waiting(stale, Boolean.TRUE.equals(row.get("waited_past_no_qr")),
                    Boolean.TRUE.equals(row.get("read_since_waiting")),
                    number(row.get("consecutive_failures")).intValue(), (String) row.get("last_failure_reason"),
                    Boolean.TRUE.equals(row.get("own_token")));
            Object server = row.get("server");
            Object serverConnecting = row.get("server_connecting_count");
            classified.add(new Row(String.valueOf(row.get("instance_name")), stale,
                    Diagnosis.classify(waiting, fleet), server == null ? "" : String.valueOf(server),
                    serverConnecting == null ? connecting : number(serverConnecting).intValue(),
                    instant(row.get("waiting_since"))));
        }
        return new WaitingRows(connecting, classified);
    }

    private static java.time.Instant instant(Object value) {
        if (value instanceof java.sql.Timestamp timestamp) {
            return timestamp.toInstant();
        }
        if (value instanceof java.time.OffsetDateTime time) {
            return time.toInstant();
        }
        return value instanceof java.time.Instant instant ? instant : null;
    }

    /** How many of the rows have this cause. */
    public int count(Cause cause) {
        return (int) rows.stream().filter(row -> row.cause() == cause).count();
    }
}
