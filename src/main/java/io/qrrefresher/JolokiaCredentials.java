package io.qrrefresher;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import io.qrrefresher.common.Failures;
import io.qrrefresher.config.Settings;
import org.apache.camel.spi.PropertiesComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jolokia can stop routes and read every MBean: when it is on, its path requires the Basic credentials of
 * JOLOKIA_USER / JOLOKIA_PASSWORD, written to a file only this user can read (Vert.x's property-file format, which
 * Vert.x reads once, when Camel's management server starts) and deleted as soon as the service has started (or
 * failed to start; and at exit at the latest): no password stays on disk.
 */
final class JolokiaCredentials implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(JolokiaCredentials.class);

    private final Path file;

    private JolokiaCredentials(Path file) {
        this.file = file;
    }

    /** Sets camel.management.* so that Jolokia asks for the credentials; nothing when Jolokia is off. */
    static JolokiaCredentials protect(Settings.Management management, PropertiesComponent properties) {
        if (!management.jolokiaEnabled()) {
            return new JolokiaCredentials(null);
        }
        Path file;
        try {
            file = Files.createTempFile("qr-refresher-jolokia-", ".properties",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the Jolokia credentials file in java.io.tmpdir ("
                    + System.getProperty("java.io.tmpdir") + "): " + Failures.describe(e) + ". It must be writable:"
                    + " with a read-only root filesystem, mount a tmpfs there (compose: tmpfs: /tmp; Kubernetes: an"
                    + " emptyDir at /tmp), or point -Djava.io.tmpdir in JAVA_OPTS at a writable directory", e);
        }
        file.toFile().deleteOnExit();
        JolokiaCredentials credentials = new JolokiaCredentials(file);
        try {
            Files.writeString(file, "user." + management.jolokiaUser().orElseThrow() + " = "
                    + management.jolokiaPassword().orElseThrow() + ",jolokia\nrole.jolokia = *\n",
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            credentials.close();
            throw new UncheckedIOException("Cannot write the Jolokia credentials file: " + e.getMessage(), e);
        }
        properties.addOverrideProperty("camel.management.authentication-enabled", "true");
        properties.addOverrideProperty("camel.management.authentication-path", "/observe/jolokia/*");
        properties.addOverrideProperty("camel.management.basic-properties-file", file.toString());
        LOG.info("Jolokia enabled at :{}/observe/jolokia, Basic authentication required", management.port());
        return credentials;
    }

    @Override
    public void close() {
        if (file != null) {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                LOG.debug("Could not delete {}: {}", file, e.getMessage());
            }
        }
    }
}
