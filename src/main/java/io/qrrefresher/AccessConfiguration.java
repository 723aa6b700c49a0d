package io.qrrefresher;

import java.time.Clock;
import java.util.Optional;

import io.qrrefresher.access.JwksKeys;
import io.qrrefresher.access.LinkTokens;
import io.qrrefresher.access.ViewerTokens;
import io.qrrefresher.api.AccessAnswers;
import io.qrrefresher.api.AdminAccess;
import io.qrrefresher.api.AdminAnswers;
import io.qrrefresher.config.Settings;
import io.qrrefresher.stream.AuthFailures;
import io.qrrefresher.stream.StreamAccess;
import io.qrrefresher.webhook.WebhookAuth;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;

/**
 * Who may do what: the admin token of the API (route require-admin), viewer tokens and user JWTs for the live stream,
 * and the webhook tokens Evolution API signs with. None of them is an Evolution key.
 */
public final class AccessConfiguration implements CamelConfiguration {

    private final OpenResources resources;

    public AccessConfiguration(OpenResources resources) {
        this.resources = resources;
    }

    @BindToRegistry("adminAccess")
    public AdminAccess adminAccess(ServiceMode mode) {
        return new AdminAccess(mode.adminToken());
    }

    @BindToRegistry("adminAnswers")
    public AdminAnswers adminAnswers() {
        return new AdminAnswers();
    }

    @BindToRegistry("viewerTokens")
    public ViewerTokens viewerTokens(Settings settings, ServiceMode mode) {
        return new ViewerTokens(mode.viewerSecret(), settings.stream().viewerTokenTtl());
    }

    /** The tokens of link pages (GET /link/<token>), signed with VIEWER_TOKEN_SECRET. */
    @BindToRegistry("linkTokens")
    public LinkTokens linkTokens(ServiceMode mode) {
        return new LinkTokens(mode.viewerSecret());
    }

    @BindToRegistry("webhookAuth")
    public WebhookAuth webhookAuth(ServiceMode mode) {
        return new WebhookAuth(mode.webhookToken(), Clock.systemUTC());
    }

    @BindToRegistry("accessAnswers")
    public AccessAnswers accessAnswers(ViewerTokens viewerTokens, WebhookAuth webhookAuth) {
        return new AccessAnswers(viewerTokens, webhookAuth);
    }

    /** Failed credentials per address, shared by the stream and "get a new code" (QR_STREAM_AUTH_FAILURES_PER_MINUTE). */
    @BindToRegistry("authFailures")
    public AuthFailures authFailures(Settings settings) {
        return new AuthFailures(settings.stream().authFailuresPerMinute());
    }

    /** Who may open the live QR stream; the JWKS of VIEWER_JWKS_URL is fetched from the start, on its own thread. */
    @BindToRegistry("streamAccess")
    public StreamAccess streamAccess(Settings settings, ServiceMode mode, ViewerTokens viewerTokens,
                                     LinkTokens linkTokens) {
        Optional<JwksKeys> jwks = settings.stream().viewerJwksUrl()
                .map(url -> resources.add(new JwksKeys(url, Clock.systemUTC())));
        jwks.ifPresent(JwksKeys::start);
        return new StreamAccess(settings.stream(), settings.userJwt(), viewerTokens, linkTokens, mode.adminToken(),
                jwks);
    }
}
