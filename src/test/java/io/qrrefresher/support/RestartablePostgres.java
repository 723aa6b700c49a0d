package io.qrrefresher.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/** A PostgreSQL server of a test's own, on a fixed port and folder, so that it can be stopped and started again. */
public final class RestartablePostgres implements AutoCloseable {

    private final Path dataDir;
    private final int port = FreePorts.next();
    private EmbeddedPostgres server;

    public RestartablePostgres(Path dataDir) {
        this.dataDir = dataDir;
        start();
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://localhost:" + port + "/postgres";
    }

    public void stop() {
        try {
            server.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public void start() {
        try {
            server = EmbeddedPostgres.builder().setDataDirectory(dataDir.toFile()).setCleanDataDirectory(false)
                    .setPort(port).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        stop();
    }
}
