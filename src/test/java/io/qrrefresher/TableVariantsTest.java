package io.qrrefresher;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;

import io.qrrefresher.demo.EvolutionSimulator.State;
import io.qrrefresher.support.RunningService;
import io.qrrefresher.support.ScriptedEvolutionApi;
import io.qrrefresher.support.SharedPostgres;
import io.qrrefresher.support.Webhooks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An {@code evolution_instances} as users really have it, rather than the one the service creates: here
 * {@code instance_status} of an enum type (as {@code create type instance_status as enum (...)} in a Supabase
 * project), {@code varchar} QR columns and timestamps without time zone. Polling and webhooks must store a QR, and every
 * {@code connection.update} must set the status, through the enum.
 */
class TableVariantsTest {

    static final String NAME = "enum-phone";
    static String url;
    static ScriptedEvolutionApi evolution;
    static RunningService service;
    static Webhooks webhooks;

    @BeforeAll
    static void usersTable() throws Exception {
        url = SharedPostgres.newDatabase();
        try (Connection db = DriverManager.getConnection(url, "postgres", "");
             Statement sql = db.createStatement()) {
            sql.execute("CREATE TYPE public.instance_status AS ENUM ('disconnected', 'connecting', 'open', 'close')");
            sql.execute("CREATE TABLE public.evolution_instances ("
                    + " id uuid PRIMARY KEY DEFAULT gen_random_uuid(),"
                    + " user_id uuid,"
                    + " instance_name varchar(100) UNIQUE NOT NULL,"
                    + " instance_token varchar(200),"
                    + " instance_status public.instance_status NOT NULL DEFAULT 'disconnected',"
                    + " qr_code varchar,"
                    + " last_qr_update timestamp,"
                    + " plan text DEFAULT 'free',"
                    + " created_at timestamp DEFAULT now(),"
                    + " updated_at timestamp DEFAULT now())");
        }
        evolution = ScriptedEvolutionApi.start();
        service = RunningService.bareAgainst(evolution.baseUrl(), url)
                .with("evolution.api-key", ScriptedEvolutionApi.GLOBAL_KEY)
                .with("evolution.webhook-token", Webhooks.TOKEN)
                .start();
        webhooks = new Webhooks(service);
    }

    @AfterAll
    static void stop() throws Exception {
        service.close();
        evolution.close();
    }

    @Test
    void polledAndPushedQrsAndEveryStateChangeAreStoredThroughTheEnum() throws Exception {
        evolution.addInstance(NAME, "token-enum", State.CONNECTING);
        evolution.rotate(NAME);
        app("INSERT INTO public.evolution_instances (instance_name, instance_token, instance_status)"
                + " VALUES ('" + NAME + "', 'token-enum', 'connecting')");
        await().atMost(Duration.ofSeconds(10)).until(() -> row().get("qr_code") != null);

        // pushed: a new QR, then the QR limit closes it (the status written as a parameter, into the enum)
        Object polled = row().get("qr_code");
        assertThat(webhooks.post(Webhooks.qrEvent(NAME, "2@pushed-code", null)).statusCode()).isEqualTo(200);
        assertThat(row().get("qr_code")).isNotNull().isNotEqualTo(polled);
        assertThat(webhooks.post(Webhooks.fixture("webhook-connection-update-close.json", NAME, null)).statusCode())
                .isEqualTo(200);
        assertThat(row().get("instance_status")).hasToString("close");
        assertThat(row().get("qr_code")).isNull();

        // the application asks again, and the phone is linked
        app("UPDATE public.evolution_instances SET instance_status = 'connecting' WHERE instance_name = '" + NAME + "'");
        assertThat(webhooks.post(Webhooks.fixture("webhook-connection-update-open.json", NAME, null)).statusCode())
                .isEqualTo(200);
        assertThat(row().get("instance_status")).hasToString("open");
    }

    private static java.util.Map<String, Object> row() {
        return service.db().queryOne("SELECT instance_status::text AS instance_status, qr_code"
                + " FROM public.evolution_instances WHERE instance_name = ?", NAME);
    }

    private static void app(String statement) throws Exception {
        try (Connection db = DriverManager.getConnection(url, "postgres", "");
             Statement sql = db.createStatement()) {
            sql.execute(statement);
        }
    }
}
