package io.qrrefresher.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import javax.sql.DataSource;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pg_cron jobs of the setup this service replaces ({@code refresh-qr-codes}, which calls the Edge Function every
 * minute, and {@code check-qr-failures}). While they are active both systems call Evolution API (and the old one with
 * {@code connect} on every row, which reopens closed sessions): say so at startup, in one line, with the statement
 * that retires them. They are never touched silently.
 */
public final class LegacyJobs {

    private static final Logger LOG = LoggerFactory.getLogger(LegacyJobs.class);
    static final String QUERY = "SELECT jobname FROM cron.job WHERE active AND (jobname IN ('refresh-qr-codes',"
            + " 'check-qr-failures') OR command ILIKE '%functions/v1/refresh-qr-codes%'"
            + " OR command ILIKE '%check_qr_refresh_failures%') ORDER BY jobname";

    private LegacyJobs() {
    }

    /** The active legacy jobs (empty without pg_cron, or when they cannot be read). */
    public static List<String> active(DataSource dataSource) {
        List<String> jobs = new ArrayList<>();
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            try (ResultSet exists = statement.executeQuery("SELECT to_regclass('cron.job') IS NOT NULL")) {
                exists.next();
                if (!exists.getBoolean(1)) {
                    return jobs;
                }
            }
            try (ResultSet rows = statement.executeQuery(QUERY)) {
                while (rows.next()) {
                    jobs.add(rows.getString(1));
                }
            }
        } catch (SQLException e) {
            LOG.debug("pg_cron jobs not readable: {}", e.getMessage());
        }
        return jobs;
    }

    /** Logs one WARN line when the replaced pg_cron jobs still run. */
    public static void warnIfActive(DataSource dataSource) {
        List<String> jobs = active(dataSource);
        if (!jobs.isEmpty()) {
            StringBuilder unschedule = new StringBuilder();
            for (String job : jobs) {
                unschedule.append("SELECT cron.unschedule('").append(job.replace("'", "''")).append("'); ");
            }
            LOG.warn("pg_cron still runs the jobs this service replaces ({}): both will call Evolution API. Retire"
                    + " them with: {}(docs/coming-from-supabase.md)", String.join(", ", jobs),
                    unschedule);
        }
    }
}
