package io.qrrefresher.db;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Instant;

import io.qrrefresher.support.LogCapture;
import org.apache.logging.log4j.Level;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.quartz.JobPersistenceException;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A database outage in a few lines: one when it starts, one a minute while it lasts, one when it ends; what Quartz,
 * HikariCP and pgjdbc-ng write about the same lost connection stays at DEBUG, anything else they write goes through.
 */
@ResourceLock("second-service") // reads the JVM's log: no other service may run meanwhile
@Order(Integer.MAX_VALUE) // last in order: by then no other service runs
class DatabaseOutageTest {

    static final Instant T0 = Instant.parse("2026-12-07T04:00:00Z");

    @Test
    void anOutageIsOneLineWhenItStartsOneAMinuteAndOneWhenItEnds() {
        DatabaseOutage outage = new DatabaseOutage();
        try (LogCapture logs = LogCapture.open()) {
            outage.reachable(T0);
            // a check every second for 150 s
            for (int second = 0; second <= 150; second++) {
                outage.unreachable(T0.plusSeconds(second), "Connection refused");
                assertThat(outage.isDown()).isTrue();
            }
            outage.leftOut();
            outage.reachable(T0.plusSeconds(151));
            assertThat(outage.isDown()).isFalse();

            assertThat(logs.lines()).filteredOn(line -> line.contains("DatabaseOutage")).satisfiesExactly(
                    line -> assertThat(line).startsWith("WARN").contains("PostgreSQL is unreachable: Connection refused"),
                    line -> assertThat(line).startsWith("WARN").contains("still unreachable after 60 s"),
                    line -> assertThat(line).startsWith("WARN").contains("still unreachable after 120 s"),
                    line -> assertThat(line).startsWith("INFO").contains("answers again, after 151 s unreachable")
                            .contains("1 reports of the same lost connection"));
        }
    }

    @Test
    void theLibrariesLinesAboutALostConnectionStayAtDebug() {
        LostConnectionLines.install();
        try (LogCapture logs = LogCapture.open()) {
            LoggerFactory.getLogger("org.quartz.impl.jdbcjobstore.JobStoreTX").error("ClusterManager: Error managing"
                    + " cluster: Failed to obtain DB connection from data source 'qr': java.sql.SQLException",
                    new JobPersistenceException("Failed to obtain DB connection", new SQLTransientConnectionException(
                            "qr-refresher-db - Connection is not available, request timed out after 5000ms")));
            LoggerFactory.getLogger("com.zaxxer.hikari.pool.ProxyConnection").warn("qr-refresher-db - Connection"
                    + " org.postgresql.jdbc.PgConnection@1 marked as broken because of SQLSTATE(08006), ErrorCode(0)");
            LoggerFactory.getLogger("com.impossibl.postgres.protocol.v30.ServerConnectionFactory$DefaultHandler")
                    .warn("terminating connection due to administrator command");
            // anything else goes through, from the same libraries too
            LoggerFactory.getLogger("org.quartz.core.JobRunShell").error("Job qr-refresher.x threw an unhandled"
                    + " Exception", new IllegalStateException("a bug"));
            LoggerFactory.getLogger("com.zaxxer.hikari.pool.HikariPool").warn("qr-refresher-db - Thread starvation"
                    + " or clock leap detected");
            LoggerFactory.getLogger("io.qrrefresher.Somewhere").warn("Connection refused by Evolution API");

            assertThat(logs.lines()).filteredOn(line -> !line.startsWith("DEBUG"))
                    .noneMatch(line -> line.contains("ClusterManager") || line.contains("marked as broken")
                            || line.contains("terminating connection"))
                    .anyMatch(line -> line.startsWith("ERROR") && line.contains("threw an unhandled Exception"))
                    .anyMatch(line -> line.startsWith("WARN") && line.contains("Thread starvation"))
                    .anyMatch(line -> line.startsWith("WARN") && line.contains("Connection refused by Evolution"));
            // still there, one line each, without the stack trace, for whoever turns DEBUG on
            assertThat(logs.lines()).filteredOn(line -> line.startsWith("DEBUG io.qrrefresher.db.DatabaseOutage"))
                    .hasSize(3);
        }
    }

    @Test
    void aLostConnectionIsToldFromItsCauses() {
        assertThat(DatabaseOutage.isLostConnection(new JobPersistenceException("x",
                new SQLTransientConnectionException("pool")))).isTrue();
        assertThat(DatabaseOutage.isLostConnection(new RuntimeException(new SQLException("x", "08006")))).isTrue();
        assertThat(DatabaseOutage.isLostConnection(new SQLException("shutting down", "57P01"))).isTrue();
        assertThat(DatabaseOutage.isLostConnection(new RuntimeException(new ConnectException("refused")))).isTrue();
        assertThat(DatabaseOutage.isLostConnection(new SQLException("duplicate key", "23505"))).isFalse();
        assertThat(DatabaseOutage.isLostConnection(new IllegalStateException("a bug"))).isFalse();
        assertThat(LostConnectionLines.isLostConnectionLine("io.qrrefresher.X", Level.WARN,
                "Connection refused", null)).isFalse();
        assertThat(LostConnectionLines.isLostConnectionLine("com.zaxxer.hikari.pool.PoolBase", Level.INFO,
                "Failed to validate connection", null)).isFalse();
    }
}
