package io.qrrefresher;

import java.util.ArrayDeque;
import java.util.Deque;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the configuration classes opened (database pool, LISTEN connections, simulator, files, threads), closed in
 * reverse order when the service stops, or when its start fails half-way.
 */
public final class OpenResources implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(OpenResources.class);

    private final Deque<AutoCloseable> opened = new ArrayDeque<>();

    /** Registers {@code resource} to be closed with the service, and returns it. */
    public synchronized <T extends AutoCloseable> T add(T resource) {
        opened.push(resource);
        return resource;
    }

    @Override
    public synchronized void close() {
        while (!opened.isEmpty()) {
            AutoCloseable resource = opened.pop();
            try {
                resource.close();
            } catch (Exception e) {
                LOG.debug("Closing {} failed: {}", resource, e.getMessage());
            }
        }
    }
}
