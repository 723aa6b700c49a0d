package io.qrrefresher;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import io.qrrefresher.db.Database;
import io.qrrefresher.support.Catalog;
import io.qrrefresher.support.Db;
import io.qrrefresher.support.SharedPostgres;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;
import org.junit.jupiter.api.Order;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * uninstall.sql (README, "Removing qr-refresher") on databases the migrations ran on: the database afterwards is the
 * one before, object for object (the catalog compared, as a pg_dump of the application's side would be), with the
 * rows written meanwhile kept; and nothing is removed while an object of the user's uses ours.
 */
@Execution(ExecutionMode.CONCURRENT) // no service in this JVM: runs beside the in-JVM service tests
@Order(30)
class UninstallTest {

    /** The columns every application table in these tests starts with (the seed's). */
    private static final String KEY_COLUMNS = "id uuid PRIMARY KEY DEFAULT gen_random_uuid(), user_id uuid,"
            + " instance_name text NOT NULL UNIQUE, instance_token text,";

    @Test
    void theDatabaseAfterwardsIsTheOneBeforeWithTheRowsWrittenMeanwhile() throws Exception {
        try (Database database = freshDatabase()) {
            Db db = new Db(database.dataSource());
            // the table as a Supabase seed has it: no updated_at, qr_expires_at or pairing_code; its own index,
            // trigger, view, policy and an extra column
            db.update("CREATE TABLE public.evolution_instances (" + KEY_COLUMNS
                    + " instance_status text NOT NULL DEFAULT 'close', qr_code text, last_qr_update timestamptz,"
                    + " created_at timestamptz DEFAULT now(), phone_number text)");
            db.update("CREATE INDEX idx_other ON public.evolution_instances (instance_name, instance_status)");
            db.update("CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS"
                    + " $$ BEGIN NEW.created_at = COALESCE(NEW.created_at, now()); RETURN NEW; END $$");
            db.update("CREATE TRIGGER app_touch BEFORE INSERT ON public.evolution_instances"
                    + " FOR EACH ROW EXECUTE FUNCTION public.touch()");
            db.update("CREATE VIEW public.connected AS SELECT instance_name FROM public.evolution_instances"
                    + " WHERE instance_status = 'open'");
            db.update("ALTER TABLE public.evolution_instances ENABLE ROW LEVEL SECURITY");
            db.update("CREATE POLICY owner_reads ON public.evolution_instances FOR SELECT USING (true)");
            List<String> before = Catalog.of(db);

            database.migrate();
            db.insertInstance("waiting", "tok", "connecting");
            db.update("UPDATE evolution_instances SET qr_expires_at = now(), phone_number = '+5511'"
                    + " WHERE instance_name = 'waiting'");
            database.migrate();
            assertThat(Catalog.of(db)).as("the migrations added something").isNotEqualTo(before);

            List<String> notices = uninstall(database);

            assertThat(Catalog.of(db)).isEqualTo(before);
            assertThat(db.instance("waiting")).containsEntry("instance_status", "connecting")
                    .containsEntry("instance_token", "tok").containsEntry("phone_number", "+5511");
            assertThat(notices).anyMatch(notice -> notice.contains("removed the columns it had added")
                    && notice.contains("pairing_code") && notice.contains("qr_expires_at")
                    && notice.contains("updated_at"));
            // a second run finds nothing to do
            assertThat(uninstall(database)).anyMatch(notice -> notice.contains("nothing to remove"));
        }
    }

    @Test
    void nothingIsRemovedWhileAnObjectOfTheUsersUsesOurs() throws Exception {
        try (Database database = freshDatabase()) {
            database.migrate();
            Db db = new Db(database.dataSource());
            db.update("CREATE VIEW public.my_waits AS SELECT instance_name FROM qr_refresher.instance_waits");
            List<String> migrated = Catalog.of(db);

            assertThatThrownBy(() -> uninstall(database)).isInstanceOf(SQLException.class)
                    .hasMessageContaining("nothing was removed").hasMessageContaining("view my_waits");

            assertThat(Catalog.of(db)).isEqualTo(migrated);
        }
    }

    @Test
    void aTableTheMigrationCreatedIsKeptWithItsRows() throws Exception {
        try (Database database = freshDatabase()) {
            database.migrate();
            Db db = new Db(database.dataSource());
            db.insertInstance("first", "tok", "open");

            List<String> notices = uninstall(database);

            assertThat(db.instance("first")).containsEntry("instance_status", "open");
            assertThat(notices).anyMatch(notice -> notice.contains("was created by qr-refresher")
                    && notice.contains("DROP TABLE public.evolution_instances"));
            assertThat(db.query("SELECT 1 FROM pg_namespace WHERE nspname = 'qr_refresher'")).isEmpty();
        }
    }

    @Test
    void aDatabaseMigratedBeforeTheRecordKeepsEveryColumnAndNamesThoseThatMayBeOurs() throws Exception {
        try (Database database = freshDatabase()) {
            Db db = new Db(database.dataSource());
            db.update("CREATE TABLE public.evolution_instances (" + KEY_COLUMNS + " instance_status text NOT NULL)");
            database.migrate();
            // as a database first migrated by a version before 15 has it: no record of what was added
            db.update("DELETE FROM qr_refresher.install_record");

            List<String> notices = uninstall(database);

            assertThat(db.query("SELECT attname FROM pg_attribute WHERE attrelid = 'public.evolution_instances'::regclass"
                    + " AND attname IN ('qr_code', 'qr_expires_at', 'pairing_code') AND NOT attisdropped")).hasSize(3);
            assertThat(notices).anyMatch(notice -> notice.contains("kept these columns")
                    && notice.contains("pairing_code, qr_code, qr_expires_at"));
        }
    }

    /** Runs uninstall.sql as psql would (one script), and returns its notices. */
    private static List<String> uninstall(Database database) throws Exception {
        String script = Files.readString(Path.of("uninstall.sql"));
        try (Connection connection = database.dataSource().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute(script);
            List<String> notices = new ArrayList<>();
            for (SQLWarning warning = statement.getWarnings(); warning != null; warning = warning.getNextWarning()) {
                notices.add(warning.getMessage());
            }
            return notices;
        }
    }

    /** A database of its own, not migrated yet. */
    private static Database freshDatabase() {
        return SharedPostgres.freshDatabase("uninstall-test");
    }
}
