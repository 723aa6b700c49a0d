package io.qrrefresher.ops;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * platform-http's Vert.x engine, told which server the API routes belong to. With health and metrics on their own
 * port there are two Vert.x servers, and the stock engine, finding more than one, falls back to port 8080.
 */
public final class ApiHttpEngine extends VertxPlatformHttpEngine {

    private final int port;

    public ApiHttpEngine(int port) {
        this.port = port;
    }

    @Override
    public int getServerPort() {
        return port;
    }
}
