package io.qrrefresher.support;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Debian's PgBouncer (the pooler Supabase's port 6543 behaves like) in front of a PostgreSQL on loopback, in
 * transaction or session mode, started and stopped by the test. {@code .ci/run} installs the package when missing.
 */
public final class PgBouncer implements AutoCloseable {

    public static final Path BINARY = Path.of("/usr/sbin/pgbouncer");

    private final Path directory;
    private final int port = FreePorts.next();
    private final String poolMode;
    private final int poolSize;
    private Process process;

    private PgBouncer(int postgresPort, String poolMode, int poolSize) throws IOException {
        this.poolMode = poolMode;
        this.poolSize = poolSize;
        // PgBouncer will not run as root: it drops to 'nobody', who must read this folder
        directory = Files.createTempDirectory(Path.of("/tmp"), "pgbouncer-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Files.writeString(directory.resolve("users.txt"), "\"postgres\" \"\"\n", StandardCharsets.UTF_8);
        Files.writeString(directory.resolve("pgbouncer.ini"), String.join("\n",
                "[databases]",
                "* = host=127.0.0.1 port=" + postgresPort,
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                "listen_port = " + port,
                "unix_socket_dir =",
                "auth_type = trust",
                "auth_file = " + directory.resolve("users.txt"),
                "admin_users = postgres",
                "pool_mode = " + poolMode,
                "default_pool_size = " + poolSize,
                "max_client_conn = 2000",
                "ignore_startup_parameters = extra_float_digits,options",
                ""), StandardCharsets.UTF_8);
    }

    public static boolean isInstalled() {
        return Files.isExecutable(BINARY);
    }

    /** A pooler in {@code poolMode} (transaction or session) with {@code poolSize} server connections per database. */
    public static PgBouncer start(int postgresPort, String poolMode, int poolSize) throws IOException {
        PgBouncer bouncer = new PgBouncer(postgresPort, poolMode, poolSize);
        bouncer.start();
        return bouncer;
    }

    public void start() throws IOException {
        List<String> command = new ArrayList<>(List.of(BINARY.toString()));
        if ("root".equals(System.getProperty("user.name"))) {
            command.add("-u");
            command.add("nobody");
        }
        command.add(directory.resolve("pgbouncer.ini").toString());
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(directory.resolve("pgbouncer.log").toFile()).start();
        try {
            // a process that ended will never accept: stop waiting at once
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> accepts() || !process.isAlive());
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // reported below with the pooler's log
        }
        if (!accepts()) {
            throw new IllegalStateException("PgBouncer did not start: "
                    + Files.readString(directory.resolve("pgbouncer.log")));
        }
    }

    /** Stops it at once, as a crash or a restart of the pooler would: every client connection is cut. */
    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> !accepts());
        }
    }

    public void restart() throws IOException, InterruptedException {
        stop();
        start();
    }

    public int port() {
        return port;
    }

    public int poolSize() {
        return poolSize;
    }

    /** The JDBC URL of {@code database} through this pooler. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    @Override
    public String toString() {
        return "PgBouncer (" + poolMode + " mode) on port " + port;
    }

    @Override
    public void close() throws InterruptedException {
        stop();
    }

    private boolean accepts() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

}
