package io.qrrefresher.alert;

import java.sql.Array;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;

import io.qrrefresher.config.Settings;

import static io.qrrefresher.common.JsonAnswers.number;

/**
 * The failure check (route {@code check-qr-failures}): the check of the system we replace
 * ({@code check_qr_refresh_failures()}: how many {@code connecting} instances have no fresh QR), plus why. Each
 * waiting row gets a {@link Cause} ({@link Diagnosis}); each cause that has an alert of its own fires it (one incident
 * per cause) or resolves it, and the count of stale instances keeps its alert {@code qr_refresh_failures}.
 */
public final class StaleQrCheck {

    /** The version of the Evolution server(s), as GET / said (empty: unknown, or servers that differ). */
    private final java.util.function.Supplier<java.util.Optional<String>> serverVersion;

    /** The causes found by the row query that have an alert of their own, fired or resolved by every check. */
    static final List<Cause> CAUSES_WITH_OWN_ALERT = List.of(Cause.NO_QR_GENERATED, Cause.INSTANCE_MISSING,
            Cause.INSTANCE_KEY_REJECTED, Cause.LICENSE_REQUIRED, Cause.INSTANCE_ON_SEVERAL_SERVERS,
            Cause.INSTANCE_ON_NO_SERVER);

    private final Settings.Alerts settings;
    private final Settings.AlertCauses thresholds;
    private final AlertSignals signals;
    private final BooleanSupplier evolutionUnreachable;
    private final boolean webhooksConfigured;

    /**
     * @param evolutionUnreachable whether the circuit breaker to Evolution is open now
     * @param webhooksConfigured   EVOLUTION_WEBHOOK_TOKEN is set: Evolution is meant to push every QR
     */
    public StaleQrCheck(Settings.Alerts settings, Settings.AlertCauses thresholds, AlertSignals signals,
                        BooleanSupplier evolutionUnreachable, boolean webhooksConfigured,
                        java.util.function.Supplier<java.util.Optional<String>> serverVersion) {
        this.serverVersion = serverVersion;
        this.settings = settings;
        this.thresholds = thresholds;
        this.signals = signals;
        this.evolutionUnreachable = evolutionUnreachable;
        this.webhooksConfigured = webhooksConfigured;
    }

    /**
     * What one check found, gathered over its queries: the flow's one holder, carried by the route as the exchange
     * property {@code failureCheck} from {@link #classify} to {@link #signals}.
     */
    public static final class FailureCheck {
        final List<String> stale = new ArrayList<>();
        final Map<Cause, List<String>> byCause = new EnumMap<>(Cause.class);
        final Map<String, Integer> staleCauses = new LinkedHashMap<>();
        int connecting;
        final Map<String, Long> qrLimitCloses = new LinkedHashMap<>();
        long reads;
        long staleFound;
        List<String> staleQrInstances = List.of();
    }

    /** Classifies the waiting rows of {@code read-waiting-instances} (oldest QR first). */
    public FailureCheck classify(List<?> waitingRows) {
        FailureCheck findings = new FailureCheck();
        WaitingRows waiting = WaitingRows.classify(waitingRows, evolutionUnreachable.getAsBoolean());
        findings.connecting = waiting.connecting();
        for (WaitingRows.Row row : waiting.rows()) {
            if (row.stale()) {
                findings.stale.add(row.name());
                findings.staleCauses.merge(row.cause() == null ? "unknown" : row.cause().id(), 1, Integer::sum);
            }
            if (row.cause() != null) {
                findings.byCause.computeIfAbsent(row.cause(), key -> new ArrayList<>()).add(row.name());
            }
        }
        return findings;
    }

    /** Reads the instances closed by the QR limit too often (name, closes). */
    public void noteQrLimitCloses(FailureCheck findings, List<?> rows) {
        for (Object item : rows) {
            Map<?, ?> row = (Map<?, ?>) item;
            findings.qrLimitCloses.put(String.valueOf(row.get("instance_name")), number(row.get("closes")).longValue());
        }
    }

    /** Reads how many QRs the runs read in the window and how many of them replaced an expired one. */
    public void noteStaleQrs(FailureCheck findings, Map<?, ?> row) throws SQLException {
        findings.reads = number(row.get("reads")).longValue();
        findings.staleFound = number(row.get("stale_found")).longValue();
        if (row.get("instances") instanceof Array array) {
            findings.staleQrInstances = Arrays.stream((Object[]) array.getArray()).map(String::valueOf).toList();
        }
    }

    /** The signals of this check: the stale count, then one per cause (firing, or resolved when clear). */
    public List<AlertSignal> signals(FailureCheck findings) {
        List<AlertSignal> result = new ArrayList<>();
        result.add(signals.staleQrCodes(findings.stale.size(), cap(findings.stale), findings.staleCauses));

        for (Cause cause : CAUSES_WITH_OWN_ALERT) {
            List<String> names = findings.byCause.getOrDefault(cause, List.of());
            Map<String, Object> counts = new LinkedHashMap<>();
            counts.put("connecting_count", findings.connecting);
            String hint = cause.hint();
            if (cause == Cause.NO_QR_GENERATED) {
                String scope = Diagnosis.noQrScope(names.size(), findings.connecting);
                counts.put("scope", scope);
                counts.put("no_qr_after_seconds", thresholds.noQrAfter().toSeconds());
                hint = Diagnosis.noQrHint(scope, serverVersion.get());
            }
            result.add(signals.causeAlert(cause, !names.isEmpty(), names.size(), cap(names), counts, hint,
                    message(cause, names.size(), findings.connecting)));
        }

        List<String> repeated = new ArrayList<>(findings.qrLimitCloses.keySet());
        Map<String, Object> limitCounts = new LinkedHashMap<>();
        limitCounts.put("closes", findings.qrLimitCloses.values().stream().mapToLong(Long::longValue).sum());
        limitCounts.put("repeats", thresholds.qrLimitRepeats());
        limitCounts.put("window_seconds", thresholds.qrLimitWindow().toSeconds());
        result.add(signals.causeAlert(Cause.QR_LIMIT_REPEATED, !repeated.isEmpty(), repeated.size(), cap(repeated),
                limitCounts, Cause.QR_LIMIT_REPEATED.hint(), repeated.size() + " instances were closed by Evolution's QR code limit"
                        + " at least " + thresholds.qrLimitRepeats() + " times in " + thresholds.qrLimitWindow()
                        + ": nobody is scanning"));

        boolean staleShown = Diagnosis.staleQrsShown(findings.reads, findings.staleFound,
                thresholds.staleQrMinReads(), thresholds.staleQrMaxPercent());
        List<String> staleQrs = staleShown ? findings.staleQrInstances : List.of();
        Map<String, Object> staleCounts = new LinkedHashMap<>();
        staleCounts.put("qr_read", findings.reads);
        staleCounts.put("stale_qr_found", findings.staleFound);
        staleCounts.put("stale_percent", findings.reads == 0 ? 0 : Math.round(100.0 * findings.staleFound
                / findings.reads));
        staleCounts.put("window_seconds", thresholds.staleQrWindow().toSeconds());
        staleCounts.put("webhooks_configured", webhooksConfigured);
        staleCounts.put("webhook_path", "/webhooks/evolution");
        // the rate decides; the names are those a poll found stale within the window (some may have paired since)
        result.add(signals.causeAlert(Cause.STALE_QR_SHOWN, staleShown, staleQrs.size(), cap(staleQrs), staleCounts,
                Diagnosis.staleQrHint(webhooksConfigured),
                findings.staleFound + " of the " + findings.reads + " QR codes read in the last "
                        + thresholds.staleQrWindow() + " had been replaced in Evolution while the stored one had"
                        + " expired" + (webhooksConfigured ? ": webhooks are not arriving" : "")));
        return result;
    }

    private static String message(Cause cause, int affected, int connecting) {
        return switch (cause) {
            case NO_QR_GENERATED -> affected + " of " + connecting + " connecting instances get no new QR code from"
                    + " Evolution API ({\"count\":0} or the same code)";
            case INSTANCE_MISSING -> affected + " connecting instances do not exist in Evolution API (HTTP 404)";
            case INSTANCE_KEY_REJECTED -> affected + " connecting instances have an instance_token Evolution API"
                    + " refuses (HTTP 401) while it accepts other keys";
            default -> affected + " instances: " + cause.title();
        };
    }

    private List<String> cap(List<String> names) {
        return names.size() <= settings.maxInstances() ? names : names.subList(0, settings.maxInstances());
    }
}
