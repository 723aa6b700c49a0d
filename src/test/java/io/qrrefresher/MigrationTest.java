package io.qrrefresher;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;

import io.qrrefresher.config.InvalidSettingException;
import io.qrrefresher.db.Database;
import io.qrrefresher.support.Db;
import io.qrrefresher.support.SharedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The migrations on a database that already has the application's table, as a Supabase project does. */
@Execution(ExecutionMode.CONCURRENT) // no service in this JVM: runs beside the in-JVM service tests
@Order(30)
class MigrationTest {

    @Test
    void anExistingTableKeepsItsDataAndGainsOnlyWhatIsMissing() throws Exception {
        try (Database database = freshDatabase()) {
            try (Connection connection = database.dataSource().getConnection();
                 Statement statement = connection.createStatement()) {
                // the application's table as it exists: no updated_at, an extra column, rows, RLS, its own trigger
                statement.execute("CREATE TABLE public.evolution_instances (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
                        + " user_id uuid, instance_name text NOT NULL UNIQUE, instance_token text,"
                        + " instance_status text NOT NULL, qr_code text, last_qr_update timestamptz,"
                        + " created_at timestamptz DEFAULT now(), phone_number text)");
                statement.execute("INSERT INTO evolution_instances (instance_name, instance_token, instance_status,"
                        + " qr_code, phone_number) VALUES ('existing', 'tok', 'open', NULL, '+5511'),"
                        + " ('waiting', 'tok2', 'connecting', 'data:image/png;base64,old', NULL)");
                statement.execute("ALTER TABLE evolution_instances ENABLE ROW LEVEL SECURITY");
                statement.execute("CREATE TABLE public.flyway_schema_history (installed_rank int)");
            }

            database.migrate();
            database.migrate();

            Db db = new Db(database.dataSource());
            Map<String, Object> existing = db.instance("existing");
            assertThat(existing.get("phone_number")).isEqualTo("+5511");
            assertThat(existing.get("instance_status")).isEqualTo("open");
            assertThat(existing).containsKey("updated_at");
            assertThat(db.instance("waiting").get("qr_code")).isEqualTo("data:image/png;base64,old");
            // each migration applied once, although migrate() ran twice
            long migrations;
            try (var files = java.nio.file.Files.list(java.nio.file.Path.of("src/main/resources/db/migration"))) {
                migrations = files.filter(file -> file.getFileName().toString().matches("V\\d+__.*\\.sql")).count();
            }
            assertThat(db.query("SELECT * FROM qr_refresher.schema_history WHERE type = 'SQL' AND success"))
                    .hasSize((int) migrations);
            // the application's own Flyway history is not touched
            assertThat(db.query("SELECT * FROM public.flyway_schema_history")).isEmpty();

            // rows inserted or moved into connecting by the application count as requests for a QR
            db.insertInstance("new", "tok3", "connecting");
            db.update("UPDATE evolution_instances SET instance_status = 'connecting' WHERE instance_name = 'existing'");
            db.update("UPDATE evolution_instances SET qr_code = 'x' WHERE instance_name = 'existing'");
            assertThat(db.state("new").get("connect_requests")).isEqualTo(1);
            assertThat(db.state("existing").get("connect_requests")).isEqualTo(1);
            assertThat(db.state("waiting")).isNull();
        }
    }

    /**
     * A database first migrated before version 18 (which adds evolution_server): the upgrade records the column it
     * adds, so that uninstall.sql removes it as it removes those of the first migration.
     */
    @Test
    void aColumnALaterMigrationAddsIsRecordedForUninstall() throws Exception {
        try (Database database = freshDatabase()) {
            applicationsTable(database, "");
            database.migrate();
            Db db = new Db(database.dataSource());
            assertThat(db.query("SELECT name FROM qr_refresher.install_record WHERE item = 'column'"))
                    .extracting(row -> row.get("name")).contains("evolution_server");
            // as it was at version 17: no evolution_server, nor a record of it (instance_waits, which 19 redefines,
            // goes too; 19 makes it again; 20's table goes with its version)
            db.update("DROP TABLE qr_refresher.instance_links");
            db.update("DELETE FROM qr_refresher.schema_history WHERE version = '20'");
            db.update("DROP VIEW qr_refresher.refresh_candidates");
            db.update("DROP VIEW qr_refresher.instance_waits");
            db.update("DROP TABLE qr_refresher.discovered_instances");
            db.update("DELETE FROM qr_refresher.schema_history WHERE version = '19'");
            db.update("ALTER TABLE public.evolution_instances DROP COLUMN evolution_server");
            db.update("DELETE FROM qr_refresher.install_record WHERE name = 'evolution_server'");
            db.update("DELETE FROM qr_refresher.schema_history WHERE version = '18'");

            database.migrate();

            assertThat(db.query("SELECT name FROM qr_refresher.install_record WHERE item = 'column'"))
                    .extracting(row -> row.get("name")).contains("evolution_server");
            assertThat(db.query("SELECT evolution_server FROM qr_refresher.refresh_candidates")).isEmpty();
        }
    }

    /** An evolution_server column of the application's own: its type and comment stay, it is read as text. */
    @Test
    void anEvolutionServerColumnOfTheApplicationsIsLeftAsItIs() throws Exception {
        try (Database database = freshDatabase()) {
            applicationsTable(database, ", evolution_server varchar(16)",
                    "COMMENT ON COLUMN public.evolution_instances.evolution_server IS 'our shard'");
            database.migrate();

            Db db = new Db(database.dataSource());
            assertThat(db.queryOne("SELECT format_type(atttypid, atttypmod) AS type,"
                    + " col_description(attrelid, attnum) AS comment FROM pg_attribute"
                    + " WHERE attrelid = 'public.evolution_instances'::regclass AND attname = 'evolution_server'"))
                    .containsEntry("type", "character varying(16)").containsEntry("comment", "our shard");
            assertThat(db.query("SELECT name FROM qr_refresher.install_record WHERE item = 'column'"))
                    .extracting(row -> row.get("name")).doesNotContain("evolution_server");
            db.insertInstance("sharded", "tok", "connecting");
            db.update("UPDATE evolution_instances SET evolution_server = 'br2' WHERE instance_name = 'sharded'");
            assertThat(db.queryOne("SELECT pg_typeof(evolution_server)::text AS type, evolution_server"
                    + " FROM qr_refresher.refresh_candidates")).containsEntry("type", "text")
                    .containsEntry("evolution_server", "br2");
        }
    }

    @Test
    void theApplicationsIndexesAreKeptAndNotDuplicated() throws Exception {
        try (Database database = freshDatabase()) {
            // a Supabase seed's own index, under the name version 7 used to drop, and a composite one of theirs
            applicationsTable(database, "",
                    "CREATE INDEX idx_evolution_instances_status ON public.evolution_instances (instance_status)",
                    "CREATE INDEX app_status_user ON public.evolution_instances (instance_status, user_id)");
            database.migrate();

            Db db = new Db(database.dataSource());
            assertThat(db.query("SELECT indexname FROM pg_indexes WHERE tablename = 'evolution_instances'"
                    + " AND indexdef LIKE '%(instance_status%' ORDER BY indexname"))
                    .extracting(row -> row.get("indexname"))
                    .containsExactly("app_status_user", "idx_evolution_instances_status");
        }
    }

    @Test
    void theOwnerTruncatesAndDeletesItsRowsAndOurStateGoesWithThem() throws Exception {
        try (Database database = freshDatabase()) {
            database.migrate();
            Db db = new Db(database.dataSource());
            db.insertInstance("kept", "tok1", "connecting");
            db.insertInstance("deleted", "tok2", "connecting");
            db.update("INSERT INTO qr_refresher.refresh_leases (instance_id) SELECT id FROM evolution_instances");
            db.update("INSERT INTO qr_refresher.qr_limit_closes (instance_id) SELECT id FROM evolution_instances");
            assertThat(db.state("deleted")).isNotNull();

            db.update("DELETE FROM evolution_instances WHERE instance_name = 'deleted'");
            assertThat(db.query("SELECT * FROM qr_refresher.instance_state")).hasSize(1);
            assertThat(db.query("SELECT * FROM qr_refresher.refresh_leases")).hasSize(1);
            assertThat(db.query("SELECT * FROM qr_refresher.qr_limit_closes")).hasSize(1);

            // no foreign key of ours stands in the way (it did: "cannot truncate a table referenced in a foreign key")
            db.update("TRUNCATE public.evolution_instances");
            for (String table : new String[] {"instance_state", "refresh_leases", "qr_limit_closes"}) {
                assertThat(db.query("SELECT * FROM qr_refresher." + table)).as(table).isEmpty();
            }
        }
    }

    @Test
    void aDatabaseThatRanTheOldTextsOfEditedMigrationsIsRealigned() throws Exception {
        try (Database database = freshDatabase()) {
            database.migrate();
            Db db = new Db(database.dataSource());
            // Flyway's own checksums of today's texts are the ones the realignment writes (the old ones were computed
            // the same way, with Flyway's ChecksumCalculator, from the texts the earlier release shipped)
            assertThat(db.query("SELECT checksum FROM qr_refresher.schema_history WHERE version IN ('1', '4', '7', '10', '18')"
                    + " ORDER BY installed_rank")).extracting(row -> row.get("checksum"))
                    .containsExactly(-1433790430, -1010554884, -1678366905, 1538832858, -1171617119);
            // as a database migrated by an earlier release holds them: the checksums of the texts it ran
            db.update("UPDATE qr_refresher.schema_history SET checksum = 2110514747 WHERE version = '1'");
            db.update("UPDATE qr_refresher.schema_history SET checksum = -620340974 WHERE version = '4'");
            db.update("UPDATE qr_refresher.schema_history SET checksum = 455568886 WHERE version = '7'");
            db.update("UPDATE qr_refresher.schema_history SET checksum = -1748688340 WHERE version = '10'");
            db.update("UPDATE qr_refresher.schema_history SET checksum = -2004692608 WHERE version = '18'");

            database.migrate();

            assertThat(db.query("SELECT checksum FROM qr_refresher.schema_history WHERE version IN ('1', '4', '7', '10', '18')"
                    + " ORDER BY installed_rank")).extracting(row -> row.get("checksum"))
                    .containsExactly(-1433790430, -1010554884, -1678366905, 1538832858, -1171617119);
            // a checksum nobody shipped is still Flyway's to refuse
            db.update("UPDATE qr_refresher.schema_history SET checksum = 12345 WHERE version = '7'");
            org.assertj.core.api.Assertions.assertThatThrownBy(database::migrate)
                    .hasMessageContaining("checksum mismatch");
        }
    }

    @Test
    void theApplicationsRoleNeedsNoRightsOnTheRefresherTables() throws Exception {
        try (Database database = freshDatabase()) {
            database.migrate();
            try (Connection connection = database.dataSource().getConnection();
                 Statement statement = connection.createStatement()) {
                statement.execute("DROP ROLE IF EXISTS web_app");
                statement.execute("CREATE ROLE web_app NOLOGIN");
                statement.execute("GRANT SELECT, INSERT, UPDATE ON public.evolution_instances TO web_app");
                statement.execute("SET ROLE web_app");
                statement.execute("INSERT INTO evolution_instances (instance_name, instance_status)"
                        + " VALUES ('from-app', 'connecting')");
                statement.execute("RESET ROLE");
            }
            assertThat(new Db(database.dataSource()).state("from-app").get("connect_requests")).isEqualTo(1);
        }
    }

    @Test
    void aRoleWithoutTheRightsIsToldWhichAndWhatToDoBeforeAnythingRuns() throws Exception {
        String url = SharedPostgres.newDatabase();
        String database = url.replaceAll(".*/([^/?]+).*", "$1");
        try (Database owner = open(url, "postgres")) {
            Db db = new Db(owner.dataSource());
            db.update("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'app_role') THEN"
                    + " CREATE ROLE app_role LOGIN; END IF; END $$");
            db.update("REVOKE CREATE ON DATABASE " + database + " FROM PUBLIC");
            db.update("CREATE TABLE public.evolution_instances (id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
                    + " user_id uuid, instance_name text NOT NULL UNIQUE, instance_token text,"
                    + " instance_status text NOT NULL, qr_code text, last_qr_update timestamptz)");
            db.update("GRANT SELECT, UPDATE ON public.evolution_instances TO app_role");

            // no CREATE on the database: the schema cannot be created
            try (Database app = open(url, "app_role")) {
                assertThatThrownBy(app::migrate).isInstanceOf(InvalidSettingException.class)
                        .hasMessageContaining("may not create the schema qr_refresher")
                        .hasMessageContaining("GRANT CREATE ON DATABASE " + database + " TO app_role");
            }
            // CREATE on the database, but not the table's owner: the first migration cannot add its columns
            db.update("GRANT CREATE ON DATABASE " + database + " TO app_role");
            try (Database app = open(url, "app_role")) {
                assertThatThrownBy(app::migrate).isInstanceOf(InvalidSettingException.class)
                        .hasMessageStartingWith("Invalid configuration DATABASE_URL (database.url): the first"
                                + " migration adds columns and triggers to public.evolution_instances")
                        .hasMessageContaining("run the first start as 'postgres'");
            }
            assertThat(db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'qr_refresher'")).as("nothing ran")
                    .isEmpty();

            // migrated by the owner; then started as a role that may not use the schema
            owner.migrate();
            try (Database app = open(url, "app_role")) {
                assertThatThrownBy(app::migrate).isInstanceOf(InvalidSettingException.class)
                        .hasMessageContaining("the role 'app_role' may not use the schema qr_refresher, which the"
                                + " role 'postgres' created: run the service as 'postgres'")
                        .hasMessageContaining("GRANT USAGE ON SCHEMA qr_refresher TO app_role");
            }

            // the GRANTs that line gives, pasted: the role may now serve (the pool's rights are checked too)
            db.update("REVOKE SELECT, UPDATE ON public.evolution_instances FROM app_role");
            try (Database app = open(url, "app_role")) {
                String line = org.assertj.core.api.Assertions.catchThrowable(app::migrate).getMessage();
                for (String grant : line.substring(line.indexOf("GRANT"), line.indexOf(" (migrations")).split("; ")) {
                    db.update(grant);
                }
                app.migrate();
                app.requireServiceRights();
            }
            // without a right the service needs at its first query, the start stops with the GRANT to run
            db.update("REVOKE UPDATE ON public.evolution_instances FROM app_role");
            db.update("REVOKE USAGE ON ALL SEQUENCES IN SCHEMA qr_refresher FROM app_role");
            try (Database app = open(url, "app_role")) {
                assertThatThrownBy(app::requireServiceRights).isInstanceOf(InvalidSettingException.class)
                        .hasMessageContaining("the role 'app_role' lacks what the service needs: USAGE on"
                                + " qr_refresher's sequences; SELECT and UPDATE on public.evolution_instances")
                        .hasMessageContaining("GRANT SELECT, UPDATE ON public.evolution_instances TO app_role");
            }
            db.update("GRANT UPDATE ON public.evolution_instances TO app_role");
            db.update("GRANT USAGE ON ALL SEQUENCES IN SCHEMA qr_refresher TO app_role");
            // row-level security that would hide rows from a role that neither owns the table nor bypasses it
            db.update("ALTER TABLE public.evolution_instances ENABLE ROW LEVEL SECURITY");
            try (Database app = open(url, "app_role")) {
                assertThatThrownBy(app::requireServiceRights).isInstanceOf(InvalidSettingException.class)
                        .hasMessageContaining("row-level security is on for public.evolution_instances and the role"
                                + " 'app_role' neither owns it nor bypasses it");
                db.update("ALTER ROLE app_role BYPASSRLS");
                app.requireServiceRights();
            } finally {
                db.update("ALTER ROLE app_role NOBYPASSRLS");
            }
        }
    }

    private static Database open(String url, String user) {
        return SharedPostgres.open(url, user, "migration-test");
    }

    /** A database of its own, not migrated yet. */
    private static Database freshDatabase() {
        return SharedPostgres.freshDatabase("migration-test");
    }

    /** The application's table as a Supabase project has it, with {@code extraColumns}, then {@code statements}. */
    private static void applicationsTable(Database database, String extraColumns, String... statements)
            throws java.sql.SQLException {
        try (Connection connection = database.dataSource().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("CREATE TABLE public.evolution_instances (id uuid PRIMARY KEY DEFAULT"
                    + " gen_random_uuid(), user_id uuid, instance_name text NOT NULL UNIQUE, instance_token text,"
                    + " instance_status text NOT NULL, qr_code text, last_qr_update timestamptz" + extraColumns + ")");
            for (String sql : statements) {
                statement.execute(sql);
            }
        }
    }
}
