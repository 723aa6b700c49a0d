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
