package io.qrrefresher.demo;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

import javax.sql.DataSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

import io.qrrefresher.access.ViewerTokens;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;

/**
 * {@code GET /} in demo mode: what a new user sees first. The demo instances, live through the {@code <whatsapp-qr>}
 * widget (with viewer tokens minted for the page), and links to the API, health and metrics.
 */
public final class DemoPage {

    private static final Duration TOKEN_LIFETIME = Duration.ofHours(1);

    private final ViewerTokens viewerTokens;
    private final DataSource dataSource;
    private final String widgetVersion;
    private final int managementPort;
    private final Clock clock;

    public DemoPage(ViewerTokens viewerTokens, DataSource dataSource, String widgetVersion, int managementPort,
                    Clock clock) {
        this.viewerTokens = viewerTokens;
        this.dataSource = dataSource;
        this.widgetVersion = widgetVersion;
        this.managementPort = managementPort;
        this.clock = clock;
    }

    public void install(CamelContext camelContext, int port) {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(camelContext,
                VertxPlatformHttpRouter.getRouterNameFromPort(port));
        router.get("/").handler(this::serve);
    }

    private void serve(RoutingContext routing) {
        var authority = routing.request().authority();
        String host = authority == null ? "localhost" : authority.host();
        String origin = "http://" + (authority == null ? "localhost" : authority.toString());
        // viewer tokens name their rows: read them off the event loop
        routing.vertx().executeBlocking(this::rows, false).onComplete(rows -> {
            if (rows.failed()) {
                routing.response().setStatusCode(503).putHeader("Content-Type", "text/plain; charset=utf-8")
                        .end("The demo database is not answering; reload in a few seconds.");
                return;
            }
            routing.response().putHeader("Content-Type", "text/html; charset=utf-8")
                    .putHeader("Cache-Control", "no-store")
                    .end(html(origin, host, clock.instant(), rows.result()));
        });
    }

    /** The demo rows' bindings (id, owner) by instance name. */
    private Map<String, ViewerTokens.Binding> rows() throws SQLException {
        Map<String, ViewerTokens.Binding> rows = new HashMap<>();
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement("SELECT instance_name, id::text,"
                     + " user_id::text FROM evolution_instances WHERE instance_name = ANY (?)")) {
            select.setArray(1, connection.createArrayOf("text", DemoMode.instanceNames().toArray()));
            try (ResultSet result = select.executeQuery()) {
                while (result.next()) {
                    rows.put(result.getString(1), new ViewerTokens.Binding(result.getString(2), result.getString(3)));
                }
            }
        }
        return rows;
    }

    /** {@code origin}: this page's (for the API example); {@code host}: its host (health and metrics). */
    String html(String origin, String host, Instant now, Map<String, ViewerTokens.Binding> rows) {
        StringBuilder widgets = new StringBuilder();
        for (DemoMode.DemoServer server : DemoMode.SERVERS) {
            widgets.append("<h2>Server <code>").append(escape(server.name())).append("</code> · Evolution ")
                    .append(escape(server.version())).append("</h2>\n<p>").append(escape(server.description()))
                    .append("</p>\n<div class=\"grid\">\n");
            for (String name : DemoMode.instanceNamesOn(server.name())) {
                ViewerTokens.Binding row = rows.get(name);
                if (row == null) {
                    continue;
                }
                String token = viewerTokens.mint(name, row.rowId(), row.owner(), now.plus(TOKEN_LIFETIME));
                widgets.append("<figure><figcaption>").append(escape(name)).append("</figcaption>")
                        .append("<whatsapp-qr instance=\"").append(escape(name)).append("\" token=\"")
                        .append(escape(token)).append("\"></whatsapp-qr></figure>\n");
            }
            widgets.append("</div>\n");
        }
        String management = "http://" + escape(host) + ":" + managementPort + "/observe";
        return """
                <!doctype html>
                <html lang="en"><head><meta charset="utf-8">
                <meta name="viewport" content="width=device-width, initial-scale=1">
                <title>qr-refresher · demo</title>
                <script type="module" src="/widget/whatsapp-qr.js?v=%s"></script>
                <style>
                body { font-family: system-ui, sans-serif; margin: 2rem; background: #f4f5f4; color: #111; }
                .grid { display: flex; flex-wrap: wrap; gap: 1.5rem; margin: 1.5rem 0; }
                figure { margin: 0; } figcaption { font-weight: 600; margin: 0 0 .5rem; }
                whatsapp-qr { box-shadow: 0 1px 4px rgba(0,0,0,.12); }
                code { background: #e8e8e8; padding: 0 .25em; border-radius: 3px; }
                </style></head><body>
                <h1>qr-refresher · demo mode</h1>
                <p>Four instances on two built-in Evolution API simulators (a fleet of two servers of different
                versions), live: each QR is replaced every 45 s, as WhatsApp does. <b>demo-support</b> is "scanned"
                2.5 minutes after the start; <b>demo-sales</b> was closed: once its code expires for good, <i>Get a new
                code</i> asks for exactly one new one. <b>demo-onboarding</b> waits for its server's licence to be
                activated (a minute), then its QR comes. <i>Link with phone number instead</i> shows
                the pairing code a person types on the phone they link.</p>
                %s
                <h2>Next</h2>
                <ul>
                <li>The API: <code>curl -X POST -H 'Authorization: Bearer demo-admin-token' %s/refresh-qr-codes</code>,
                <code>GET /refresh-runs</code>, <code>GET /refresh-control</code></li>
                <li><a href="/wall">The operators' wall</a> (token <code>demo-admin-token</code>): a card per server ·
                <a href="%s/health">Health</a> · <a href="%s/metrics">Prometheus metrics</a></li>
                <li>Put this widget in your own pages: docs/front-end.md, "Show the QR to your users".</li>
                <li>Leave demo mode: set <code>DATABASE_URL</code> and <code>EVOLUTION_API_BASE_URL</code>.</li>
                </ul>
                </body></html>
                """.formatted(escape(widgetVersion), widgets, escape(origin), management, management);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;")
                .replace("'", "&#39;");
    }
}
