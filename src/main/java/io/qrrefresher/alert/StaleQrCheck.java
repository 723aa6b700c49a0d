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

    /** The Evolution servers as the alerts name them: their names and versions. */
    public interface Servers {
        /** Several servers are configured: alerts name the servers of their instances. */
        boolean isFleet();

        /** The name of a row's server ({@code ""}: the row names none and no list does: the default server). */
        String nameOf(String rowServer);

        /** The version a server's GET / reported last (empty: unknown). */
        java.util.Optional<String> versionOf(String server);
    }

    private final Servers servers;

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
                        BooleanSupplier evolutionUnreachable, boolean webhooksConfigured, Servers servers) {
        this.servers = servers;
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
        final Map<Cause, List<WaitingRows.Row>> rowsByCause = new EnumMap<>(Cause.class);
        final Map<String, Integer> staleCauses = new LinkedHashMap<>();
        int connecting;
        final Map<String, Long> qrLimitCloses = new LinkedHashMap<>();
        long reads;
        long staleFound;
        boolean staleShownFiring;
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
                findings.rowsByCause.computeIfAbsent(row.cause(), key -> new ArrayList<>()).add(row);
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
        findings.staleShownFiring = Boolean.TRUE.equals(row.get("stale_shown_firing"));
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
            List<WaitingRows.Row> rows = findings.rowsByCause.getOrDefault(cause, List.of());
            Map<String, Object> counts = new LinkedHashMap<>();
            counts.put("connecting_count", findings.connecting);
            if (servers.isFleet()) {
                // the servers of the instances: where to look
                counts.put("servers", rows.stream().map(row -> servers.nameOf(row.server())).distinct().sorted()
                        .toList());
            }
            String hint = cause.hint();
            String message = message(cause, names.size(), findings.connecting);
            if (cause == Cause.NO_QR_GENERATED) {
                ServerWithoutQr whole = serverWithoutQr(rows);
                String scope = whole != null ? "server" : Diagnosis.noQrScope(names.size(), Integer.MAX_VALUE);
                counts.put("scope", scope);
                counts.put("no_qr_after_seconds", thresholds.noQrAfter().toSeconds());
                if (whole != null) {
                    hint = Diagnosis.noQrHint(scope, servers.versionOf(whole.server()));
                    if (servers.isFleet()) {
                        counts.put("server", whole.server());
                        message = "every waiting instance of the Evolution server '" + whole.server() + "' ("
                                + whole.affected() + ") gets no new QR code"
                                + (whole.since() == null ? "" : " since " + whole.since());
                    }
                    if (whole.since() != null) {
                        counts.put("started_at", whole.since().toString());
                    }
                }
            } else if (servers.isFleet() && !rows.isEmpty()) {
                message = message + " (on " + String.join(", ", (List<String>) counts.get("servers")) + ")";
            }
            result.add(signals.causeAlert(cause, !names.isEmpty(), names.size(), cap(names), counts, hint, message));
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
                thresholds.staleQrMinReads(), thresholds.staleQrMaxPercent(), thresholds.staleQrClearPercent(),
                findings.staleShownFiring);
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

    /** A server every waiting instance of which (two or more) gets no new QR: its name, how many, since when. */
    record ServerWithoutQr(String server, int affected, java.time.Instant since) {
    }

    /**
     * The server whose connecting instances (two or more) all get no new QR code, the one with most such instances
     * first; null when there is none. One alert then names the server and when it started, not N instances.
     */
    private ServerWithoutQr serverWithoutQr(List<WaitingRows.Row> rows) {
        Map<String, List<WaitingRows.Row>> byServer = new LinkedHashMap<>();
        for (WaitingRows.Row row : rows) {
            byServer.computeIfAbsent(row.server(), key -> new ArrayList<>()).add(row);
        }
        ServerWithoutQr found = null;
        for (Map.Entry<String, List<WaitingRows.Row>> entry : byServer.entrySet()) {
            List<WaitingRows.Row> affected = entry.getValue();
            int connecting = affected.get(0).serverConnecting();
            if (!Diagnosis.noQrScope(affected.size(), connecting).equals("server")
                    || found != null && found.affected() >= affected.size()) {
                continue;
            }
            java.time.Instant since = affected.stream().map(WaitingRows.Row::waitingSince)
                    .filter(java.util.Objects::nonNull).min(java.time.Instant::compareTo).orElse(null);
            found = new ServerWithoutQr(servers.nameOf(entry.getKey()), affected.size(), since);
        }
        return found;
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
