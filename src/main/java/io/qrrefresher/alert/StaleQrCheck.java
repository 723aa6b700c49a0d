package io.qrrefresher.alert;

import java.sql.Array;
import java.sql.SQLException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import io.qrrefresher.config.Settings;
import org.apache.camel.Exchange;

/**
 * The check of the system we replace ({@code check_qr_refresh_failures()}): how many {@code connecting} instances have
 * no QR code, or none newer than {@code QR_STALE_AFTER}. Turns the count into an {@link AlertSignal}.
 */
public final class StaleQrCheck {

    private final Settings.Alerts settings;
    private final AlertSignals signals;

    public StaleQrCheck(Settings.Alerts settings, AlertSignals signals) {
        this.settings = settings;
        this.signals = signals;
    }

    public long getStaleAfterSeconds() {
        return settings.staleAfter().toSeconds();
    }

    public int getMaxInstances() {
        return settings.maxInstances();
    }

    /** Reads the row {@code (failed_count, instances)} of the count query and replaces it with the signal. */
    public void evaluate(Exchange exchange) throws SQLException {
        Map<?, ?> row = exchange.getMessage().getBody(Map.class);
        long failedCount = ((Number) row.get("failed_count")).longValue();
        List<String> instances = List.of();
        Object names = row.get("instances");
        if (names instanceof Array array) {
            instances = Arrays.stream((Object[]) array.getArray()).map(String::valueOf).toList();
        }
        AlertSignal signal = signals.staleQrCodes(failedCount, instances);
        exchange.getMessage().setBody(signal);
    }
}
