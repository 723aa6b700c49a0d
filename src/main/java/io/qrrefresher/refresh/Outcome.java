package io.qrrefresher.refresh;

/** What one refresh did to one instance. */
public enum Outcome {
    /** A new QR was stored. */
    REFRESHED,
    /** Evolution still shows the QR already stored. */
    UNCHANGED,
    /** Evolution has not generated a QR yet ({@code {"count":0}}). */
    NO_QR_YET,
    /** The instance got paired: status set to open and QR cleared. */
    OPENED,
    /** Evolution said close once; the close is confirmed by a later read. */
    CLOSE_PENDING,
    /** Evolution said close on two reads far enough apart: status set to close and QR cleared. */
    CLOSED,
    /** The application changed the row during the refresh; the refresher left it alone. */
    LEFT_ALONE,
    /** Webhooks keep its QR current: no call was made (the run only counted it). */
    COVERED,
    /** The refresh failed; see the error. */
    FAILED;

    public String label() {
        return name().toLowerCase();
    }
}
