package io.qrrefresher.stream;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * Serves the QR widget, a dependency-free Web Component ({@code <whatsapp-qr>}), at {@code GET /widget/whatsapp-qr.js},
 * with every language's texts written in: cacheable for an hour, revalidated by its ETag (the hash of its content), and
 * loadable as a module from any page ({@code Access-Control-Allow-Origin: *}). The script holds no data and no
 * credential; serving it to a page whose origin is not in CORS_ALLOWED_ORIGINS lets that page's widget say why it
 * shows no code (the stream refuses it, readably) instead of staying blank.
 */
public final class WidgetScript {

    public static final String PATH = "/widget/whatsapp-qr.js";

    static final String TEXTS_LINE = "const TEXTS = null;";

    private final Buffer script;
    private final String etag;

    public WidgetScript(io.qrrefresher.common.Languages languages) {
        String source = new String(read(), java.nio.charset.StandardCharsets.UTF_8);
        if (!source.contains(TEXTS_LINE)) {
            throw new IllegalStateException("widget/whatsapp-qr.js has no line '" + TEXTS_LINE + "' to write texts in");
        }
        byte[] bytes = source.replace(TEXTS_LINE, "const TEXTS = " + languages.json().replace("</", "<\\/") + ";")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
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
        if (routing.request().getHeader("Origin") != null) {
            response.putHeader("Access-Control-Allow-Origin", "*");
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
