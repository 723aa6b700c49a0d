package io.qrrefresher.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import io.qrrefresher.db.Database;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A PostgreSQL server of a test's own, on a fixed port and folder, so that it can be stopped and started again. Its
 * folder starts as a copy of one made once per suite (initdb, then the service's migrations), instead of an initdb
 * and a full migration per test.
 */
public final class RestartablePostgres implements AutoCloseable {

    private static Path template;

    private final Path dataDir;
    private final int port = FreePorts.next();
    private EmbeddedPostgres server;

    public RestartablePostgres(Path dataDir) {
        this.dataDir = dataDir;
        try {
            copy(template(), dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
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

    /** A stopped server's folder, migrated as the service migrates it; made once per suite. */
    private static synchronized Path template() throws IOException {
        if (template == null) {
            Path folder = Files.createTempDirectory("restartable-postgres-template");
            int port = FreePorts.next();
            try (EmbeddedPostgres server = EmbeddedPostgres.builder().setDataDirectory(folder.toFile())
                    .setCleanDataDirectory(false).setPort(port).start();
                 Database database = SharedPostgres.open("jdbc:postgresql://localhost:" + port
                         + "/postgres?user=postgres", "postgres", "template")) {
                database.migrate();
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(folder)));
            template = folder;
        }
        return template;
    }

    private static void copy(Path from, Path to) throws IOException {
        List<Path> paths;
        try (Stream<Path> walk = Files.walk(from)) {
            paths = walk.toList();
        }
        for (Path path : paths) {
            Path target = to.resolve(from.relativize(path).toString());
            if (Files.isDirectory(path)) {
                Files.createDirectories(target);
                // PostgreSQL refuses a data folder others may read
                Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwx------"));
            } else if (!path.getFileName().toString().equals("postmaster.pid")) {
                Files.copy(path, target);
            }
        }
    }

    private static void delete(Path folder) {
        try (Stream<Path> walk = Files.walk(folder)) {
            walk.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ignored) {
            // a temporary folder
        }
    }
}
