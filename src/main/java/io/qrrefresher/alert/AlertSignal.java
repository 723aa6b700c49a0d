package io.qrrefresher.alert;

/**
 * A change of an alert's condition: it is firing, or it is resolved. The route {@code record-alert} turns it into at
 * most one webhook delivery per incident.
 */
public final class AlertSignal {

    private final String alert;
    private final boolean firing;
    private final String payload;
    private final String summary;
    private final boolean deliver;
    private final long reminderSeconds;
    private final boolean oneShot;
    private final String variant;

    AlertSignal(String alert, boolean firing, String payload, String summary, boolean deliver, long reminderSeconds,
                boolean oneShot, String variant) {
        this.alert = alert;
        this.firing = firing;
        this.payload = payload;
        this.summary = summary;
        this.deliver = deliver;
        this.reminderSeconds = reminderSeconds;
        this.oneShot = oneShot;
        this.variant = variant;
    }

    /**
     * Where the fault lies as this signal says it ({@code instance}, {@code server}; empty when the alert has no
     * scope): a firing incident is posted again when it changes.
     */
    public String getVariant() {
        return variant;
    }

    /** A notice about one event, posted once, with no incident to open or resolve. */
    public boolean isOneShot() {
        return oneShot;
    }

    /** The alert's name, such as {@code qr_refresh_failures}. */
    public String getAlert() {
        return alert;
    }

    public boolean isFiring() {
        return firing;
    }

    /** The JSON body posted to the webhook. */
    public String getPayload() {
        return payload;
    }

    /** One line for the log. */
    public String getSummary() {
        return summary;
    }

    /** Whether a webhook is configured to receive it. */
    public boolean isDeliver() {
        return deliver;
    }

    /** A firing alert is posted again after this many seconds (0: never). */
    public long getReminderSeconds() {
        return reminderSeconds;
    }

    @Override
    public String toString() {
        return alert + (firing ? " firing" : " resolved");
    }
}
