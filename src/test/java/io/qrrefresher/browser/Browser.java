package io.qrrefresher.browser;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium, headless, driven through Debian's chromedriver (never one downloaded at run time). When either is
 * missing the browser tests are skipped, and say so: {@code apt-get install -y chromium chromium-driver}.
 */
final class Browser implements AutoCloseable {

    static final File CHROMIUM = new File("/usr/bin/chromium");
    static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");

    private final ChromeDriver driver;

    private Browser(ChromeDriver driver) {
        this.driver = driver;
    }

    /** A headless Chromium, or the test is skipped with the reason. */
    static Browser start() {
        return start(options -> { });
    }

    /**
     * From now on, this browser is a phone (390×844, an iPhone's user agent, touch) asking for pages in
     * {@code acceptLanguage}, through Chromium's DevTools emulation: one browser plays both devices.
     */
    Browser asPhone(String acceptLanguage) {
        ownUserAgent();
        driver.executeCdpCommand("Emulation.setDeviceMetricsOverride", java.util.Map.of("width", 390, "height", 844,
                "deviceScaleFactor", 2, "mobile", true));
        driver.executeCdpCommand("Emulation.setTouchEmulationEnabled", java.util.Map.of("enabled", true));
        driver.executeCdpCommand("Emulation.setUserAgentOverride", java.util.Map.of("userAgent",
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)"
                        + " Version/17.5 Mobile/15E148 Safari/604.1", "acceptLanguage", acceptLanguage));
        return this;
    }

    /** From now on, this browser is a desktop (its own user agent and window) asking for pages in {@code acceptLanguage}. */
    Browser asDesktop(String acceptLanguage) {
        driver.executeCdpCommand("Emulation.clearDeviceMetricsOverride", java.util.Map.of());
        // a desktop's window (a phone's screenshot left it 390 px wide)
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(1000, 900));
        driver.executeCdpCommand("Emulation.setTouchEmulationEnabled", java.util.Map.of("enabled", false));
        driver.executeCdpCommand("Emulation.setUserAgentOverride", java.util.Map.of("userAgent", ownUserAgent(),
                "acceptLanguage", acceptLanguage));
        return this;
    }

    private String desktopUserAgent;

    /** Chromium's own user agent, read before any override (as a desktop's, without "Headless"). */
    private String ownUserAgent() {
        if (desktopUserAgent == null) {
            desktopUserAgent = ((String) js("return navigator.userAgent")).replace("HeadlessChrome", "Chrome");
        }
        return desktopUserAgent;
    }

    /** The axe-core npm package (its webjar, a test dependency): injected into a page to check its accessibility. */
    static String axeCore() throws IOException {
        try (java.io.InputStream in = Browser.class.getResourceAsStream(
                "/META-INF/resources/webjars/axe-core/4.6.3/axe.min.js")) {
            if (in == null) {
                throw new IllegalStateException("axe-core's webjar is missing from the test classpath");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /**
     * The serious and critical violations axe-core finds in the page as it is now (shadow roots included), one line
     * each: rule, impact, the elements.
     */
    @SuppressWarnings("unchecked")
    java.util.List<String> seriousAccessibilityViolations() throws IOException {
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
        js(axeCore());
        Object found = driver.executeAsyncScript("const done = arguments[arguments.length - 1];"
                + " axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations"
                + ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
                + ".map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => JSON.stringify(n.target)"
                + " + ' ' + n.failureSummary).join(' | '))), e => done(['axe failed: ' + e]));");
        return (java.util.List<String>) found;
    }

    static Browser start(java.util.function.Consumer<ChromeOptions> customize) {
        boolean present = CHROMIUM.canExecute() && CHROMEDRIVER.canExecute();
        if (!present) {
            System.out.println("SKIPPED browser tests: " + CHROMIUM + " or " + CHROMEDRIVER + " is missing "
                    + "(apt-get install -y chromium chromium-driver; .ci/run installs them)");
        }
        Assumptions.assumeTrue(present, "Chromium and chromedriver are not installed "
                + "(apt-get install -y chromium chromium-driver)");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=800,900", "--disable-extensions");
        customize.accept(options);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER)
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
        return new Browser(driver);
    }

    ChromeDriver driver() {
        return driver;
    }

    void open(String url) {
        driver.get(url);
    }

    /**
     * Saves a picture of the first element matching {@code css} as {@code name}.png in the folder of the system
     * property {@code screenshots} (default target/screenshots; the README's pictures: -Dscreenshots=docs).
     */
    Path screenshot(String css, String name) throws IOException {
        Path folder = Path.of(System.getProperty("screenshots", "target/screenshots"));
        Files.createDirectories(folder);
        byte[] png = driver.findElement(By.cssSelector(css)).getScreenshotAs(OutputType.BYTES);
        Path file = folder.resolve(name + ".png");
        Files.write(file, png);
        return file;
    }

    /** Saves what the window shows (at {@code width} x {@code height}) as {@code name}.png, as {@link #screenshot}. */
    Path screenshotWindow(String name, int width, int height) throws IOException {
        driver.manage().window().setSize(new org.openqa.selenium.Dimension(width, height));
        Path folder = Path.of(System.getProperty("screenshots", "target/screenshots"));
        Files.createDirectories(folder);
        Path file = folder.resolve(name + ".png");
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
        return file;
    }

    /** Runs {@code script} in the page and returns its value. */
    Object js(String script, Object... arguments) {
        return ((JavascriptExecutor) driver).executeScript(script, arguments);
    }

    @Override
    public void close() {
        driver.quit();
    }
}
