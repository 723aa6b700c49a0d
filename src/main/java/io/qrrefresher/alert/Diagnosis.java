package io.qrrefresher.alert;

import java.util.List;

/**
 * Why one connecting instance has no working QR, from what the service recorded about it: a pure function, so each
 * row of its table is a unit test ({@code DiagnosisTest}). The failure check classifies every waiting row with it, and
 * {@code GET /instances/{name}/status} the one asked for.
 */
public final class Diagnosis {

    /**
     * What is recorded about one connecting row.
     *
     * @param stale               it has waited for a QR longer than QR_STALE_AFTER (since the later of its last QR and
     *                            the moment it entered connecting)
     * @param waitedPastNoQr      it has waited longer than ALERT_NO_QR_AFTER
     * @param readSinceWaiting    Evolution answered a refresh of it (without an error) since it started waiting
     * @param consecutiveFailures failed refreshes in a row; the last one's reason is {@code failureReason}
     * @param ownToken            the row has its own instance_token (else the calls carry EVOLUTION_API_KEY)
     */
    public record Waiting(boolean stale, boolean waitedPastNoQr, boolean readSinceWaiting, int consecutiveFailures,
                          String failureReason, boolean ownToken) {
    }

    /**
     * What is known of all connecting rows.
     *
     * @param connecting           connecting rows
     * @param keyRejected          of those, how many failed last with a 401
     * @param evolutionUnreachable the circuit breaker to Evolution is not closed
     */
    public record Fleet(int connecting, int keyRejected, boolean evolutionUnreachable) {
    }

    /** Every cause {@link #classify} can give a row. */
    public static final List<Cause> ROW_CAUSES = List.of(Cause.NO_QR_GENERATED, Cause.INSTANCE_MISSING,
            Cause.INSTANCE_KEY_REJECTED, Cause.API_KEY_REJECTED, Cause.EVOLUTION_UNREACHABLE, Cause.LICENSE_REQUIRED,
            Cause.INSTANCE_ON_SEVERAL_SERVERS, Cause.INSTANCE_ON_NO_SERVER, Cause.REFRESH_FAILING, Cause.NOT_POLLED);

    private Diagnosis() {
    }

    /** The cause, or null when the row is not (yet) a problem. */
    public static Cause classify(Waiting row, Fleet fleet) {
        if (row.consecutiveFailures() > 0) {
            if (!row.stale()) {
                return null;
            }
            Cause cause = Cause.ofFailure(row.failureReason(), row.ownToken());
            // one row refused is its token; every row refused (two or more) is the key of the whole service
            boolean everyRowRefused = fleet.connecting() >= 2 && fleet.keyRejected() == fleet.connecting();
            return cause == Cause.INSTANCE_KEY_REJECTED && everyRowRefused ? Cause.API_KEY_REJECTED : cause;
        }
        // Evolution answered since the row started waiting, yet no new QR came: count 0, or the same code
        if (row.readSinceWaiting() && (row.waitedPastNoQr() || row.stale())) {
            return Cause.NO_QR_GENERATED;
        }
        if (!row.stale()) {
            return null;
        }
        // the circuit breaker turns calls away without recording a failure against the instance
        return fleet.evolutionUnreachable() ? Cause.EVOLUTION_UNREACHABLE : Cause.NOT_POLLED;
    }

    /**
     * Where the fault of {@link Cause#NO_QR_GENERATED} lies: {@code server} when every connecting instance (two or more)
     * is affected, {@code instance} when one is, {@code instances} in between.
     */
    public static String noQrScope(int affected, int connecting) {
        if (affected >= 2 && affected >= connecting) {
            return "server";
        }
        return affected == 1 ? "instance" : "instances";
    }

    /** The hint for {@link Cause#NO_QR_GENERATED} in that scope, the server's version unknown. */
    public static String noQrHint(String scope) {
        return noQrHint(scope, java.util.Optional.empty());
    }

    /**
     * The hint for {@link Cause#NO_QR_GENERATED} in that scope; for the server, what to change depends on its
     * version (GET /): up to 2.3.0 CONFIG_SESSION_PHONE_VERSION pins the WhatsApp Web version; 2.3.1 to 2.3.7 ignore
     * it and fetch the current one themselves; 2.4 pins it with CONFIG_BAILEYS_VERSION.
     */
    public static String noQrHint(String scope, java.util.Optional<String> serverVersion) {
        if (!"server".equals(scope)) {
            return Cause.NO_QR_GENERATED.hint();
        }
        int[] version = serverVersion.map(Diagnosis::version).orElse(null);
        if (version == null) {
            return Cause.NO_QR_ON_SERVER_HINT;
        }
        String said = "Evolution answers {\"count\":0} or the same QR for every waiting instance: its WhatsApp Web"
                + " version is probably outdated (Evolution " + serverVersion.get() + "). ";
        if (version[0] < 2 || version[0] == 2 && (version[1] < 3 || version[1] == 3 && version[2] < 1)) {
            return said + "Update the image (evoapicloud/evolution-api 2.3.6 or later) or set"
                    + " CONFIG_SESSION_PHONE_VERSION to the current WhatsApp Web version, then restart it";
        }
        if (version[0] == 2 && version[1] == 3) {
            return said + "Update to 2.3.7; CONFIG_SESSION_PHONE_VERSION is ignored since 2.3.1 (it looks the current"
                    + " WhatsApp Web version up itself: check its proxy and its access to web.whatsapp.com), then"
                    + " restart it";
        }
        return said + "Pin the current WhatsApp Web version with CONFIG_BAILEYS_VERSION (its lookup is cached for an"
                + " hour), check its proxy, then restart it";
    }

    private static final java.util.regex.Pattern VERSION =
            java.util.regex.Pattern.compile("^v?(\\d{1,4})\\.(\\d{1,4})(?:\\.(\\d{1,4}))?");

    /** major, minor, patch of a version such as {@code 2.3.7} or {@code 2.4.0-rc2}; null when it is not one. */
    static int[] version(String text) {
        java.util.regex.Matcher matcher = VERSION.matcher(text.trim());
        if (!matcher.find()) {
            return null;
        }
        return new int[] {Integer.parseInt(matcher.group(1)), Integer.parseInt(matcher.group(2)),
                matcher.group(3) == null ? 0 : Integer.parseInt(matcher.group(3))};
    }

    /** The hint for {@link Cause#STALE_QR_SHOWN}: webhooks that do not arrive, or none configured. */
    public static String staleQrHint(boolean webhooksConfigured) {
        return webhooksConfigured ? Cause.STALE_QR_SHOWN.hint() : Cause.STALE_QR_WITHOUT_WEBHOOKS_HINT;
    }

    /**
     * Whether polls found stale QRs often enough to say so, with hysteresis: not firing, it fires above
     * {@code maxPercent} (with at least {@code minReads} reads); firing, it stays so until the share over the window is
     * down to {@code clearPercent} (fewer reads than {@code minReads} do not resolve it unless none was stale).
     */
    public static boolean staleQrsShown(long reads, long staleFound, int minReads, int maxPercent, int clearPercent,
                                        boolean firing) {
        if (firing) {
            return staleFound * 100 > (long) clearPercent * reads;
        }
        return reads >= minReads && reads > 0 && staleFound * 100 > (long) maxPercent * reads;
    }
}
