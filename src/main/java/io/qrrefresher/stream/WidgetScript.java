package io.qrrefresher.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import io.qrrefresher.config.Settings;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Serves the QR widget, a dependency-free Web Component ({@code <whatsapp-qr>}), at {@code GET /widget/whatsapp-qr.js}:
 * cacheable for an hour, revalidated by its ETag (the hash of its content), and loadable as a module from the
 * origins of CORS_ALLOWED_ORIGINS.
 */
public final class WidgetScript {

    public static final String PATH = "/widget/whatsapp-qr.js";

    private final CrossOrigin crossOrigin;
    private final Buffer script;
    private final String etag;

    public WidgetScript(Settings.Widget settings) {
        this.crossOrigin = new CrossOrigin(settings);
        byte[] bytes = read();
        this.script = Buffer.buffer(bytes);
        this.etag = '"' + HexFormat.of().formatHex(sha256(bytes), 0, 16) + '"';
    }

    /** The version of the script (its ETag without quotes), for URLs such as /widget/whatsapp-qr.js?v=... */
    public String version() {
        return etag.substring(1, etag.length() - 1);
    }

    public void install(CamelContext camelContext, int port) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camelContext,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        router.get(PATH).handler(this::serve);
    }

    private void serve(RoutingContext routing) {
        var response = routing.response();
        if (!crossOrigin.admit(routing.request(), response)) {
            HttpReplies.json(response, 403, java.util.Map.of("error", "origin_not_allowed", "message",
                    "this page's origin is not in CORS_ALLOWED_ORIGINS"));
            return;
        }
        response.putHeader("Cache-Control", "public, max-age=3600").putHeader("ETag", etag);
        if (etag.equals(routing.request().getHeader("If-None-Match"))) {
            response.setStatusCode(304).end();
            return;
        }
        response.putHeader("Content-Type", "text/javascript; charset=utf-8").end(script);
    }

    private static byte[] read() {
        try (InputStream in = WidgetScript.class.getResourceAsStream("/widget/whatsapp-qr.js")) {
            if (in == null) {
                throw new IllegalStateException("widget/whatsapp-qr.js is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
