package io.qrrefresher;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import io.qrrefresher.config.InvalidSettingException;
import io.qrrefresher.common.Failures;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListener;

/**
 * Starts the service. {@code application.properties} and {@code routes/*.yaml} are read from the working directory
 * when they are there (the copies a user edits), and otherwise from the copies packaged in the jar.
 */
public final class QrRefresherApplication {

    private QrRefresherApplication() {
    }

    public static void main(String[] args) {
        routeJavaUtilLogging();
        chooseLogFormat();
        // what the libraries write about a lost database connection stays at DEBUG: the service tells an outage itself
        io.qrrefresher.db.LostConnectionLines.install();
        warnUnlessExitOnOutOfMemory();
        ServiceLifecycle lifecycle = new ServiceLifecycle();
        Main main = createMain(lifecycle, new Properties());
        // at SIGTERM, the JVM ends once its shutdown hooks have: this one holds it until the service closed what it
        // opened, after Camel stopped (the embedded database last)
        Runtime.getRuntime().addShutdownHook(new Thread(() -> lifecycle.awaitClosed(java.time.Duration.ofSeconds(60)),
                "qr-refresher-shutdown"));
        try {
            main.run(args);
            lifecycle.close();
            // Camel Main logs a failure of the listeners after its start and returns: end the process all the same
            if (lifecycle.startFailure() != null) {
                throw lifecycle.startFailure();
            }
        } catch (Throwable e) {
            // an Error in the start (a class that cannot load, a stack overflow) must end the process too: Quartz's
            // and Vert.x's threads would otherwise keep a half-started service running, never ready
            lifecycle.close();
            // Camel's shutdown hook would otherwise log "JVM shutdown hook triggered by SIGTERM" as we exit
            main.getShutdownStrategy().shutdown();
            System.err.println("qr-refresher: " + startupError(e));
            System.exit(e instanceof InvalidSettingException || hasCause(e, InvalidSettingException.class) ? 2 : 1);
        }
    }

    /**
     * After an OutOfMemoryError a JVM goes on half-alive (ports that no longer accept, runs that never end) unless it
     * exits: the README's command and the image set -XX:+ExitOnOutOfMemoryError; say so loudly when it is missing.
     */
    private static void warnUnlessExitOnOutOfMemory() {
        boolean exits = java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
                .anyMatch(argument -> argument.equals("-XX:+ExitOnOutOfMemoryError")
                        || argument.equals("-XX:+CrashOnOutOfMemoryError"));
        if (!exits) {
            org.slf4j.LoggerFactory.getLogger(QrRefresherApplication.class).warn("The JVM was started without "
                    + "-XX:+ExitOnOutOfMemoryError: after an OutOfMemoryError the process would stay up but broken. "
                    + "Start it with java -XX:+ExitOnOutOfMemoryError -jar qr-refresher.jar");
        }
    }

    /** A Camel Main ready to run, as {@link #main} uses it; tests add override properties. */
    public static Main createMain(ServiceLifecycle lifecycle, Properties overrides, MainListener... before) {
        Main main = new Main();
        for (MainListener listener : before) {
            main.addMainListener(listener);
        }
        main.setPropertyPlaceholderLocations(fromWorkingDirectoryOrJar("application.properties"));
        main.configure().withRoutesIncludePattern(Files.isDirectory(Path.of("routes"))
                ? "file:routes/*.yaml" : "classpath:routes/*.yaml");
        if (!overrides.isEmpty()) {
            main.setOverrideProperties(overrides);
        }
        lifecycle.configurations().forEach(main.configure()::addConfiguration);
        main.addMainListener(lifecycle);
        return main;
    }

    /**
     * LOG_FORMAT=json switches the console to JSON lines, LOG_FORMAT=ecs to Elastic Common Schema lines. Logging starts before Camel reads its properties, so this
     * looks at the environment, then at {@code log.format} in application.properties.
     */
    /**
     * java.util.logging (the PostgreSQL driver's log, "terminating connection…") goes through log4j, so that its lines
     * come out in the chosen format (LOG_FORMAT=json or ecs: JSON, as every other line). Set before anything uses
     * java.util.logging: its LogManager is chosen once, at its first use.
     */
    static void routeJavaUtilLogging() {
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", "org.apache.logging.log4j.jul.LogManager");
        }
    }

    static void chooseLogFormat() {
        String format = System.getenv("LOG_FORMAT");
        if (format == null) {
            format = System.getProperty("log.format");
        }
        if (format == null) {
            Properties properties = new Properties();
            String location = fromWorkingDirectoryOrJar("application.properties");
            try (InputStream in = location.startsWith("file:")
                    ? Files.newInputStream(Path.of(location.substring(5)))
                    : QrRefresherApplication.class.getResourceAsStream("/application.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            } catch (IOException e) {
                // the settings check reports an unreadable configuration properly
            }
            format = properties.getProperty("log.format");
        }
        String chosen = format == null ? "" : format.trim().toLowerCase(java.util.Locale.ROOT);
        if (chosen.equals("json") || chosen.equals("ecs")) {
            System.setProperty("log4j2.configurationFile", "log4j2-" + chosen + ".properties");
        }
    }

    private static String fromWorkingDirectoryOrJar(String file) {
        return Files.isRegularFile(Path.of(file)) ? "file:" + file : "classpath:" + file;
    }

    static String startupError(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof InvalidSettingException) {
                return t.getMessage();
            }
        }
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (t instanceof IllegalStateException && t.getMessage() != null) {
                return "failed to start: " + t.getMessage();
            }
        }
        return "failed to start: " + Failures.describe(error);
    }

    private static boolean hasCause(Throwable error, Class<? extends Throwable> type) {
        for (Throwable t = error; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }
}
