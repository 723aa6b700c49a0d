package io.qrrefresher.cluster;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * This process among the replicas that share one database: {@code host:pid:random}, unique for each start. It names
 * the leases it holds and the runs it records, and it is the {@code application_name} of its database sessions, so
 * {@code pg_stat_activity} tells whether a replica is still alive.
 */
public final class Replica {

    private final String id;

    private Replica(String id) {
        this.id = id;
    }

    public static Replica ofThisProcess() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            host = "unknown-host";
        }
        // application_name holds at most 63 bytes
        if (host.length() > 40) {
            host = host.substring(0, 40);
        }
        byte[] random = new byte[3];
        ThreadLocalRandom.current().nextBytes(random);
        return new Replica(host + ":" + ProcessHandle.current().pid() + ":" + HexFormat.of().formatHex(random));
    }

    /** Plain getter: the routes read it as {@code ${bean:replica.id}}. */
    public String getId() {
        return id;
    }

    @Override
    public String toString() {
        return id;
    }
}
