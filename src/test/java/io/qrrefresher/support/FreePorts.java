package io.qrrefresher.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Ports for servers a test starts later (a service, PgBouncer, Prometheus). They come from 20000-31999, below the
 * kernel's ephemeral range (32768-60999 here): a port the kernel handed out as "free" (bind to 0) is the next one it
 * gives an outgoing connection too, and on a busy machine a JDBC or HTTP client took it before the service bound it,
 * so the service failed to start. Each test JVM starts at its own offset and hands each port out once.
 */
public final class FreePorts {

    private static final int FIRST = 20_000;
    private static final int SPAN = 12_000;
    private static final AtomicInteger NEXT = new AtomicInteger((int) (ProcessHandle.current().pid() * 97 % SPAN));

    private FreePorts() {
    }

    public static int next() {
        for (int tries = 0; tries < SPAN; tries++) {
            int port = FIRST + Math.floorMod(NEXT.getAndIncrement(), SPAN);
            // the wildcard address: taken on any address of this machine is taken
            try (ServerSocket socket = new ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new InetSocketAddress(port), 1);
                return port;
            } catch (IOException taken) {
                // the next one
            }
        }
        throw new IllegalStateException("No free port in " + FIRST + "-" + (FIRST + SPAN - 1));
    }
}
