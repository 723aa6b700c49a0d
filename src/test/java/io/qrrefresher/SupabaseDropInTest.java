package io.qrrefresher;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.LogCapture;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.SharedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The service on a database set up as a Supabase project is: roles {@code anon}, {@code authenticated},
 * {@code service_role}, the seed's table with a uuid id, row-level security with a {@code user_id = auth.uid()} policy,
 * the application's own index on {@code instance_status}, and the publication {@code supabase_realtime} that Realtime
 * reads through a {@code pgoutput} slot. The application's roles keep writing their rows after our migration, without
 * any right in our schema.
 */
@ResourceLock("second-service") // reads the JVM's log: no other service may run meanwhile
@Order(Integer.MAX_VALUE) // last in order: by then no other service runs
class SupabaseDropInTest {

    static final UUID ALICE = UUID.randomUUID();
    static final UUID BOB = UUID.randomUUID();
    static String url;
    static ScriptedEvolutionApi evolution;
    static RunningService service;
    static String startupLog;

    @BeforeAll
    static void supabaseProject() throws Exception {
        url = SharedPostgres.newDatabase();
        try (Connection db = DriverManager.getConnection(url, "postgres", "");
             Statement sql = db.createStatement()) {
            for (String role : new String[] {"anon", "authenticated", "service_role"}) {
                sql.execute("DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '" + role + "') THEN"
                        + " CREATE ROLE " + role + " NOLOGIN" + (role.equals("service_role") ? " BYPASSRLS" : "")
                        + "; END IF; END $$");
            }
            sql.execute("CREATE SCHEMA auth");
            sql.execute("CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS"
                    + " $$ SELECT nullif(current_setting('request.jwt.claim.sub', true), '')::uuid $$");
            sql.execute("GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role");
            sql.execute("CREATE TABLE public.evolution_instances ("
                    + " id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
                    + " user_id uuid,"
                    + " instance_name text UNIQUE NOT NULL,"
                    + " instance_token text,"
                    + " instance_status text DEFAULT 'close',"
                    + " qr_code text,"
                    + " last_qr_update timestamptz,"
                    + " created_at timestamptz DEFAULT now(),"
                    + " updated_at timestamptz DEFAULT now())");
            sql.execute("CREATE INDEX evolution_instances_instance_status_idx ON public.evolution_instances (instance_status)");
            sql.execute("ALTER TABLE public.evolution_instances ENABLE ROW LEVEL SECURITY");
            sql.execute("CREATE POLICY own_rows ON public.evolution_instances FOR ALL TO authenticated"
                    + " USING (user_id = auth.uid()) WITH CHECK (user_id = auth.uid())");
            sql.execute("GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role");
            sql.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON public.evolution_instances TO authenticated,"
                    + " service_role");
            sql.execute("CREATE PUBLICATION supabase_realtime FOR TABLE public.evolution_instances");
            // pg_cron's job table (the extension itself cannot load into the test PostgreSQL), with the setup
            // guide's two jobs still active and one unrelated job
            sql.execute("CREATE SCHEMA cron");
            sql.execute("CREATE TABLE cron.job (jobid bigserial PRIMARY KEY, schedule text NOT NULL, command text NOT NULL,"
                    + " nodename text, nodeport int, database text, username text, active boolean DEFAULT true,"
                    + " jobname text)");
            sql.execute("INSERT INTO cron.job (jobname, schedule, command) VALUES"
                    + " ('refresh-qr-codes', '*/1 * * * *', 'SELECT net.http_post(url := ''https://x.supabase.co/functions/v1/refresh-qr-codes'')'),"
                    + " ('check-qr-failures', '*/10 * * * *', ' SELECT check_qr_refresh_failures(); '),"
                    + " ('nightly-cleanup', '0 3 * * *', 'DELETE FROM logs')");
            // slots are per cluster: named after this database
            sql.execute("SELECT pg_create_logical_replication_slot('realtime_' || current_database(), 'pgoutput')");
        }
        evolution = ScriptedEvolutionApi.start();
        try (LogCapture logs = LogCapture.open()) {
            service = RunningService.bareAgainst(evolution.baseUrl(), url)
                    .with("evolution.api-key", ScriptedEvolutionApi.GLOBAL_KEY)
                    .start();
            startupLog = logs.text();
        }
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        evolution.close();
        try (Connection db = DriverManager.getConnection(url, "postgres", "");
             Statement sql = db.createStatement()) {
            sql.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
                    + " WHERE database = current_database()");
        }
    }

    @Test
    void theApplicationsRolesWriteTheirRowsAfterTheMigrationWithoutRightsInOurSchema() throws Exception {
        evolution.addInstance("alice-phone", "token-alice", State.CONNECTING);
        evolution.rotate("alice-phone");
        evolution.addInstance("bob-phone", "token-bob", State.CLOSE);

        // the front end, as the signed-in user: creates its instance waiting for a scan
        asUser("authenticated", ALICE, "INSERT INTO public.evolution_instances (user_id, instance_name, instance_token,"
                + " instance_status) VALUES ('" + ALICE + "', 'alice-phone', 'token-alice', 'connecting')");
        await().atMost(Duration.ofSeconds(10)).until(() -> qrOf("alice-phone") != null);

        // "set the row back to connecting", as the README tells apps to ask for a new QR, and the other writes
        asUser("authenticated", ALICE, "UPDATE public.evolution_instances SET instance_status = 'close', qr_code = NULL"
                + " WHERE instance_name = 'alice-phone'");
        asUser("authenticated", ALICE, "UPDATE public.evolution_instances SET instance_status = 'connecting'"
                + " WHERE instance_name = 'alice-phone'");
        asUser("service_role", null, "INSERT INTO public.evolution_instances (user_id, instance_name, instance_token,"
                + " instance_status) VALUES ('" + BOB + "', 'bob-phone', 'token-bob', 'close')");
        asUser("service_role", null, "UPDATE public.evolution_instances SET instance_status = 'connecting', user_id = '"
                + BOB + "' WHERE instance_name = 'bob-phone'");
        asUser("service_role", null, "UPDATE public.evolution_instances SET instance_token = 'rotated'"
                + " WHERE instance_name = 'bob-phone'");
        asUser("authenticated", BOB, "DELETE FROM public.evolution_instances WHERE instance_name = 'bob-phone'");

        try (Connection db = DriverManager.getConnection(url, "postgres", "");
             Statement sql = db.createStatement()) {
            for (String role : new String[] {"anon", "authenticated", "service_role"}) {
                try (ResultSet rights = sql.executeQuery("SELECT has_schema_privilege('" + role
                        + "', 'qr_refresher', 'USAGE')")) {
                    rights.next();
                    assertThat(rights.getBoolean(1)).as(role + " has no right in qr_refresher").isFalse();
                }
            }
        }
    }

    @Test
    void activePgCronJobsOfTheReplacedSetupAreReportedInOneLineAndLeftAlone() throws Exception {
        assertThat(startupLog.lines().filter(line -> line.contains("pg_cron still runs")).distinct()).singleElement()
                .asString()
                .contains("(check-qr-failures, refresh-qr-codes)")
                .contains("SELECT cron.unschedule('check-qr-failures'); SELECT cron.unschedule('refresh-qr-codes');")
                .doesNotContain("nightly-cleanup");
        try (Connection db = DriverManager.getConnection(url, "postgres", "");
             Statement sql = db.createStatement();
             ResultSet jobs = sql.executeQuery("SELECT count(*) FROM cron.job WHERE active")) {
            jobs.next();
            assertThat(jobs.getInt(1)).as("never touched").isEqualTo(3);
        }
    }

    @Test
    void theApplicationsOwnIndexOnTheStatusIsNotDuplicated() throws Exception {
        try (Connection db = DriverManager.getConnection(url, "postgres", "");
             Statement sql = db.createStatement();
             ResultSet indexes = sql.executeQuery("SELECT count(*) FROM pg_index i JOIN pg_attribute a"
                     + " ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]"
                     + " WHERE i.indrelid = 'public.evolution_instances'::regclass AND a.attname = 'instance_status'")) {
            indexes.next();
            assertThat(indexes.getInt(1)).isEqualTo(1);
        }
    }

    @Test
    void realtimeSeesTheQrCodesTheServiceStores() throws Exception {
        evolution.addInstance("realtime-phone", "token-realtime", State.CONNECTING);
        evolution.rotate("realtime-phone");
        try (Connection db = DriverManager.getConnection(url, "postgres", "");
             Statement sql = db.createStatement()) {
            String slot = slot(sql);
            sql.execute("SELECT pg_logical_slot_get_binary_changes('" + slot + "', NULL, NULL, 'proto_version', '1',"
                    + " 'publication_names', 'supabase_realtime')");
            sql.execute("INSERT INTO public.evolution_instances (user_id, instance_name, instance_token,"
                    + " instance_status) VALUES ('" + ALICE + "', 'realtime-phone', 'token-realtime', 'connecting')");
            await().atMost(Duration.ofSeconds(10)).until(() -> qrOf("realtime-phone") != null);
            // pgoutput messages: 'U' (update) of the row, as Realtime decodes them
            StringBuilder kinds = new StringBuilder();
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                try (ResultSet changes = sql.executeQuery("SELECT chr(get_byte(data, 0)) FROM"
                        + " pg_logical_slot_get_binary_changes('" + slot + "', NULL, NULL, 'proto_version', '1',"
                        + " 'publication_names', 'supabase_realtime')")) {
                    while (changes.next()) {
                        kinds.append(changes.getString(1));
                    }
                }
                return kinds.indexOf("U") >= 0;
            });
            assertThat(kinds.toString()).as("pgoutput messages").contains("I").contains("U");
        }
    }

    private static String slot(Statement sql) throws SQLException {
        try (ResultSet slots = sql.executeQuery("SELECT slot_name FROM pg_replication_slots"
                + " WHERE database = current_database()")) {
            slots.next();
            return slots.getString(1);
        }
    }

    private static Object qrOf(String instance) {
        return service.db().queryOne("SELECT qr_code FROM public.evolution_instances WHERE instance_name = ?",
                instance).get("qr_code");
    }

    /** One statement as the application's role would run it through PostgREST: a role and the JWT's subject. */
    private static void asUser(String role, UUID subject, String statement) throws SQLException {
        try (Connection db = DriverManager.getConnection(url, "postgres", "")) {
            db.setAutoCommit(false);
            try (Statement sql = db.createStatement()) {
                sql.execute("SET LOCAL ROLE " + role);
                if (subject != null) {
                    sql.execute("SELECT set_config('request.jwt.claim.sub', '" + subject + "', true)");
                }
                int rows = sql.executeUpdate(statement);
                assertThat(rows).as(role + ": " + statement).isEqualTo(1);
            }
            db.commit();
        }
    }
}
