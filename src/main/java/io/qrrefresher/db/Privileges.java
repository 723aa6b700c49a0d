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
                            + owner + "': GRANT USAGE ON SCHEMA " + Database.SCHEMA + " TO " + role
                            + "; GRANT ALL ON ALL TABLES IN SCHEMA " + Database.SCHEMA + " TO " + role
                            + " (migrations of later versions still need '" + owner + "')");
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
}
