package io.qrrefresher.common;

/** An outage being told elsewhere (the database's: DatabaseOutage): a route's failure from it is not told again. */
public interface OutageWatch {

    /** Whether the outage has been told and has not ended. */
    boolean isDown();

    /** Counts a report of it kept out of the WARN level. */
    void leftOut();
}
