package io.qrrefresher.db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;

/**
 * What the role that migrates must be allowed to do, checked before Flyway runs, so that a role without the rights
 * gets one line saying which right and what to do instead of "permission denied for schema qr_refresher Position: 158".
 * The first migration adds columns and triggers to {@code public.evolution_instances} (only its owner may) and creates
 * the schema {@code qr_refresher} (CREATE on the database); later starts use that schema (USAGE on it).
 */
public final class Privileges {

    private static final String STATE = "SELECT current_user,"
            + " to_regnamespace('" + Database.SCHEMA + "') IS NOT NULL AS schema_exists,"
            + " (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '" + Database.SCHEMA + "')"
            + " AS schema_owner,"
            + " CASE WHEN to_regnamespace('" + Database.SCHEMA + "') IS NULL THEN true"
            + " ELSE has_schema_privilege('" + Database.SCHEMA + "', 'USAGE') END AS schema_usable,"
            + " has_database_privilege(current_database(), 'CREATE') AS can_create_schema,"
            + " current_database(),"
            + " (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = to_regclass('public.evolution_instances'))"
            + " AS table_owner,"
            + " (SELECT pg_has_role(relowner, 'USAGE') FROM pg_class"
            + " WHERE oid = to_regclass('public.evolution_instances')) AS owns_table";

    private Privileges() {
    }

    /** Why this session's role cannot run the migrations, or empty when it can. */
    public static Optional<String> missingForMigration(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(STATE)) {
            row.next();
            String role = row.getString("current_user");
            String database = row.getString("current_database");
            if (row.getBoolean("schema_exists")) {
                if (!row.getBoolean("schema_usable")) {
                    String owner = row.getString("schema_owner");
                    return Optional.of("the role '" + role + "' may not use the schema " + Database.SCHEMA
                            + ", which the role '" + owner + "' created: run the service as '" + owner
                            + "' (the role that migrated this database), or give '" + role + "' the rights as '"
                            + owner + "': " + grants(role) + " (migrations of later versions still need '" + owner
                            + "')");
                }
                return Optional.empty();
            }
            if (!row.getBoolean("can_create_schema")) {
                return Optional.of("the role '" + role + "' may not create the schema " + Database.SCHEMA
                        + " in the database '" + database + "': run the first start as the database's owner, or"
                        + " GRANT CREATE ON DATABASE " + database + " TO " + role);
            }
            String tableOwner = row.getString("table_owner");
            if (tableOwner != null && !row.getBoolean("owns_table")) {
                return Optional.of("the first migration adds columns and triggers to public.evolution_instances,"
                        + " which only its owner may do, and the role '" + role + "' is not '" + tableOwner
                        + "' (nor a member of it): run the first start as '" + tableOwner + "' (on Supabase: the"
                        + " postgres role of the project's connection string), or GRANT " + tableOwner + " TO " + role);
            }
            return Optional.empty();
        }
    }

    /** The GRANTs that let {@code role} do the service's work on a database another role migrated. */
    static String grants(String role) {
        return "GRANT USAGE ON SCHEMA " + Database.SCHEMA + " TO " + role + "; GRANT SELECT, INSERT, UPDATE, DELETE"
                + " ON ALL TABLES IN SCHEMA " + Database.SCHEMA + " TO " + role + "; GRANT USAGE ON ALL SEQUENCES IN"
                + " SCHEMA " + Database.SCHEMA + " TO " + role + "; GRANT SELECT, UPDATE ON public.evolution_instances"
                + " TO " + role;
    }

    private static final String SERVICE = "SELECT current_user,"
            + " has_schema_privilege('" + Database.SCHEMA + "', 'USAGE') AS schema_usage,"
            + " (SELECT string_agg(relname, ', ' ORDER BY relname) FROM pg_class"
            + " WHERE relnamespace = '" + Database.SCHEMA + "'::regnamespace AND relkind IN ('r', 'p')"
            + " AND NOT (has_table_privilege(oid, 'SELECT') AND has_table_privilege(oid, 'INSERT')"
            + " AND has_table_privilege(oid, 'UPDATE') AND has_table_privilege(oid, 'DELETE'))) AS tables_missing,"
            + " (SELECT string_agg(relname, ', ' ORDER BY relname) FROM pg_class"
            // CASE: the planner may test the privilege before relkind, and has_sequence_privilege fails on a table
            + " WHERE relnamespace = '" + Database.SCHEMA + "'::regnamespace"
            + " AND CASE WHEN relkind = 'S' THEN NOT has_sequence_privilege(oid, 'USAGE') ELSE false END)"
            + " AS sequences_missing,"
            + " has_table_privilege('public.evolution_instances', 'SELECT')"
            + " AND has_table_privilege('public.evolution_instances', 'UPDATE') AS table_usable,"
            + " (SELECT relrowsecurity AND NOT pg_has_role(relowner, 'USAGE')"
            + " AND NOT (SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user) FROM pg_class"
            + " WHERE oid = 'public.evolution_instances'::regclass) AS rows_hidden,"
            + " (SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = '" + Database.SCHEMA + "')"
            + " AS schema_owner";

    /**
     * Why the role of the pool (DATABASE_URL) cannot do the service's work on a migrated database, or empty when it
     * can. It matters when that role is not the one that migrated (DATABASE_LISTEN_URL with another user, or a
     * database migrated by its owner and served by an application role): without this, a missing right or a
     * row-level security policy surfaced only at the first query ("permission denied for schema qr_refresher
     * Position: 158"), or made every UPDATE silently touch no row.
     */
    public static Optional<String> missingForService(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement(); ResultSet row = statement.executeQuery(SERVICE)) {
            row.next();
            String role = row.getString("current_user");
            String owner = row.getString("schema_owner");
            java.util.List<String> missing = new java.util.ArrayList<>();
            if (!row.getBoolean("schema_usage")) {
                missing.add("USAGE on the schema " + Database.SCHEMA);
            }
            if (row.getString("tables_missing") != null) {
                missing.add("SELECT, INSERT, UPDATE, DELETE on " + Database.SCHEMA + "'s tables ("
                        + row.getString("tables_missing") + ")");
            }
            if (row.getString("sequences_missing") != null) {
                missing.add("USAGE on " + Database.SCHEMA + "'s sequences");
            }
            if (!row.getBoolean("table_usable")) {
                missing.add("SELECT and UPDATE on public.evolution_instances");
            }
            if (!missing.isEmpty()) {
                return Optional.of("the role '" + role + "' lacks what the service needs: " + String.join("; ", missing)
                        + ". Run the service as '" + owner + "' (the role that migrated), or as '" + owner + "': "
                        + grants(role));
            }
            if (row.getBoolean("rows_hidden")) {
                return Optional.of("row-level security is on for public.evolution_instances and the role '" + role
                        + "' neither owns it nor bypasses it: its policies would hide rows from the refresher, whose"
                        + " updates would then change nothing. Use the table's owner, or a role with BYPASSRLS"
                        + " (on Supabase: postgres, or service_role)");
            }
            return Optional.empty();
        }
    }
}
