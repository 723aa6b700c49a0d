package io.qrrefresher.browser;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.qrrefresher.support.DebianTool;
import org.openqa.selenium.bidi.BiDi;
import org.openqa.selenium.bidi.Command;
import org.openqa.selenium.bidi.Connection;
import org.openqa.selenium.remote.http.ClientConfig;
import org.openqa.selenium.remote.http.HttpClient;

import static org.awaitility.Awaitility.await;

/**
 * Debian's Firefox ESR, headless, driven over WebDriver BiDi, the W3C protocol Firefox speaks by itself
 * ({@code --remote-debugging-port}): Debian packages no geckodriver and nothing may be downloaded at run time.
 * Selenium's own BiDi connection carries the commands. Skipped, loudly, without firefox-esr.
 */
final class Firefox implements AutoCloseable {

    static final String BINARY = "/usr/bin/firefox-esr";
    private static final Pattern LISTENING = Pattern.compile("WebDriver BiDi listening on (ws://\\S+)");
    private static final Duration COMMAND = Duration.ofSeconds(30);

    private final Process process;
    private final BiDi bidi;
    private final String context;

    private Firefox(Process process, BiDi bidi, String context) {
        this.process = process;
        this.bidi = bidi;
        this.context = context;
    }

    /** A Firefox with its own profile under {@code home}, and a WebDriver BiDi session on its one tab. */
    @SuppressWarnings("unchecked")
    static Firefox start(Path home) throws IOException {
        DebianTool.require(BINARY, "firefox-esr", "the Firefox cases of the browser tests");
        Path log = home.resolve("firefox.log");
        Process process = new ProcessBuilder(BINARY, "--headless", "--no-remote", "--profile",
                Files.createDirectories(home.resolve("profile")).toString(), "--remote-debugging-port", "0",
                "about:blank").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        process.getOutputStream().close();
        try {
            String[] url = new String[1];
            await().atMost(Duration.ofSeconds(90)).until(() -> {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Firefox ended before it listened: " + Files.readString(log));
                }
                Matcher found = LISTENING.matcher(Files.readString(log));
                url[0] = found.find() ? found.group(1) : null;
                return url[0] != null;
            });
            String session = url[0] + "/session";
            HttpClient client = HttpClient.Factory.createDefault().createClient(ClientConfig.defaultConfig()
                    .baseUri(URI.create(session)));
            BiDi bidi = new BiDi(new Connection(client, session), COMMAND);
            bidi.send(new Command<>("session.new", Map.of("capabilities", Map.of()), Map.class));
            Map<String, Object> tree = bidi.send(new Command<>("browsingContext.getTree", Map.of(), Map.class));
            String context = (String) ((List<Map<String, Object>>) tree.get("contexts")).get(0).get("context");
            return new Firefox(process, bidi, context);
        } catch (RuntimeException e) {
            process.destroyForcibly();
            throw e;
        }
    }

    /** The window's size as a page sees it (CSS pixels; a phone: 390×844, at {@code devicePixelRatio}). */
    void viewport(int width, int height, double devicePixelRatio) {
        bidi.send(new Command<>("browsingContext.setViewport", Map.of("context", context, "viewport",
                Map.of("width", width, "height", height), "devicePixelRatio", devicePixelRatio), Map.class));
    }

    /** Opens {@code url} and returns once the page loaded. */
    void open(String url) {
        bidi.send(new Command<>("browsingContext.navigate", Map.of("context", context, "url", url, "wait",
                "complete"), Map.class));
    }

    /** Loads the page again. */
    void reload() {
        bidi.send(new Command<>("browsingContext.reload", Map.of("context", context, "wait", "complete"),
                Map.class));
    }

    /**
     * The value of {@code expression} in the page, as a string (a non-string value: its string form; null or
     * undefined: null). An exception in the page is thrown here with its message.
     */
    @SuppressWarnings("unchecked")
    String text(String expression) {
        Map<String, Object> answer = bidi.send(new Command<>("script.evaluate", Map.of("expression",
                "(() => { const v = (" + expression + "); return v == null ? null : String(v); })()",
                "target", Map.of("context", context), "awaitPromise", true), Map.class));
        if (!"success".equals(answer.get("type"))) {
            throw new IllegalStateException("the page threw: " + answer.get("exceptionDetails"));
        }
        Map<String, Object> result = (Map<String, Object>) answer.get("result");
        return "string".equals(result.get("type")) ? (String) result.get("value") : null;
    }

    /** What the tab shows now, as a PNG. */
    byte[] screenshot() {
        Map<String, Object> shot = bidi.send(new Command<>("browsingContext.captureScreenshot", Map.of("context",
                context), Map.class));
        return Base64.getDecoder().decode((String) shot.get("data"));
    }

    @Override
    public void close() {
        try {
            bidi.close();
        } finally {
            process.destroy();
            try {
                if (!process.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
