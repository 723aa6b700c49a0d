package io.qrrefresher.routes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import io.qrrefresher.ServiceLifecycle;
import io.qrrefresher.support.FreePorts;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.SharedPostgres;
import org.apache.camel.main.MainConfigurationProperties;

/**
 * What a route test needs to run the routes of routes/*.yaml as the service does (same configuration classes, same
 * beans, a real PostgreSQL database). A test class writes its properties with {@link #writeProperties} (a fresh
 * database on the suite's one PostgreSQL, free ports, schedules that never fire, plus its own), names the file in
 * {@code @CamelMainTest(propertyPlaceholderLocations = ...)} before application.properties (the first location that
 * has a key wins), and calls
 * {@link #configure} from its {@code @Configure} method.
 */
final class RouteTestSupport {

    private RouteTestSupport() {
    }

    /** Writes target/route-tests/{name}.properties: the base properties, then {@code extra}. */
    static void writeProperties(String name, Properties extra) {
        Properties properties = new Properties();
        // the test's properties, not the developer's shell (DATABASE_URL...), configure the service
        properties.setProperty("camel.component.properties.environment-variable-mode", "0");
        properties.setProperty("database.url", SharedPostgres.newDatabase());
        properties.setProperty("database.user", "postgres");
        properties.setProperty("http.port", String.valueOf(FreePorts.next()));
        properties.setProperty("management.port", String.valueOf(FreePorts.next()));
        properties.setProperty("qr.refresh.cron", RunningService.NEVER);
        properties.setProperty("qr.failure-check.cron", RunningService.NEVER);
        properties.setProperty("qr.refresh.on-request", "false");
        // as RunningService: alerts delivered within moments, Evolution calls bounded to 2 s
        properties.setProperty("alert.delivery.poll-ms", "100");
        properties.setProperty("alert.delivery.retry-base", "PT0.2S");
        properties.setProperty("evolution.timeout-ms", "2000");
        properties.putAll(extra);
        Path file = Path.of("target", "route-tests", name + ".properties");
        try {
            Files.createDirectories(file.getParent());
            try (Writer out = Files.newBufferedWriter(file)) {
                properties.store(out, "written by " + name);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The service's configuration classes and routes (routes/*.yaml, as the service reads them). */
    static void configure(MainConfigurationProperties configuration, ServiceLifecycle lifecycle) {
        lifecycle.configurations().forEach(configuration::addConfiguration);
        configuration.addMainListener(lifecycle);
        configuration.withRoutesIncludePattern("file:routes/*.yaml");
    }
}
