package io.qrrefresher;

import java.time.Clock;

import io.qrrefresher.access.LinkTokens;
import io.qrrefresher.common.Languages;
import io.qrrefresher.config.Settings;
import io.qrrefresher.link.LinkPages;
import io.qrrefresher.stream.WidgetScript;
import org.apache.camel.BindToRegistry;
import org.apache.camel.CamelConfiguration;

/**
 * Link pages (routes/link-pages.yaml): POST /instances/{name}/link makes a link an operator sends the person who must
 * link their WhatsApp, GET /link/&lt;token&gt; serves its page, in that person's language.
 */
public final class LinkConfiguration implements CamelConfiguration {

    @BindToRegistry("linkPages")
    public LinkPages linkPages(Settings settings, LinkTokens tokens, Languages languages, WidgetScript widget) {
        return new LinkPages(tokens, languages, settings.linkPage(), widget::version, Clock.systemUTC());
    }
}
