package io.qrrefresher.config;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SettingsTest {

    @ParameterizedTest
    @EnumSource(Setting.class)
    void everyKeyIsOverriddenByTheEnvironmentVariableOfItsName(Setting setting) {
        // Camel's properties component maps a key to upper case with dots and dashes as underscores
        assertThat(setting.key().toUpperCase().replace('.', '_').replace('-', '_')).isEqualTo(setting.env());
    }

    @Test
    void defaultsMatchTheSystemWeReplace() {
        Settings settings = Settings.load(key -> null);

        assertThat(settings.isDemo()).isTrue();
        assertThat(settings.refresh().cron()).isEqualTo("0 * * * * ?");
        assertThat(settings.refresh().concurrency()).isEqualTo(8);
        assertThat(settings.alerts().failureCheckCron()).isEqualTo("0 */10 * * * ?");
        assertThat(settings.alerts().staleAfter()).isEqualTo(Duration.ofMinutes(5));
        assertThat(settings.evolution().timeoutMs()).isEqualTo(8000);
        assertThat(settings.httpPort()).isEqualTo(8080);
        assertThat(settings.adminToken()).isEmpty();
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "QR_REFRESH_CRON|*/30 * * * *|5-field Unix cron",
        "QR_REFRESH_CRON|every minute|not a valid Quartz cron expression",
        "QR_REFRESH_CRON|* * * * * ?|more often than QR_REFRESH_MIN_INTERVAL (2 s)",
        "QR_REFRESH_CRON|0,1 * * * * ?|runs 1 s apart",
        "QR_FAILURE_CHECK_CRON|0 61 * * * ?|not a valid Quartz cron expression",
        "QR_STALE_AFTER|5 minutes|not an ISO-8601 duration",
        "QR_STALE_AFTER|PT0S|shorter than the minimum",
        "QR_REFRESH_CONCURRENCY|0|outside 1..512",
        "QR_REFRESH_CONCURRENCY|eight|not a whole number",
        "HTTP_PORT|70000|outside 1..65535",
        "EVOLUTION_TIMEOUT_MS|-1|outside",
        "DATABASE_WAIT_MS|100|outside 250..60000",
        "ALERT_STALE_QR_CLEAR_PERCENT|30|outside 0..20",
        "QR_REFRESH_MIN_INTERVAL|PT0.5S|shorter than the minimum",
        "ALERT_WEBHOOK_URL|hooks.example.com/x|must be an http:// or https:// URL",
        "ALERT_WEBHOOK_URL|ftp://hooks.example.com|must be an http:// or https:// URL",
        "EVOLUTION_API_BASE_URL|https://evo.example.com?x=1|must not have a query string",
        "EVOLUTION_API_BASE_URL|https://user:pw@evo.example.com|must not contain credentials",
        "EVOLUTION_API_BASE_URL|http://exa mple.com|is not a valid URL",
        "DATABASE_URL|mysql://db/x|must start with jdbc:postgresql://",
        "EVOLUTION_SERVERS|br1=https://a.example.com,,br2=https://b.example.com|has an empty entry",
        "EVOLUTION_SERVERS|BR1=https://a.example.com|'BR1' is not a server name",
        "EVOLUTION_SERVERS|-br=https://a.example.com|'-br' is not a server name",
        "EVOLUTION_SERVERS|br1=https://a.example.com,br1=https://b.example.com|names the server 'br1' twice",
        "EVOLUTION_SERVERS|br1|has no URL for the server 'br1': write br1=https://... or set evolution.servers.br1.base-url",
        "EVOLUTION_SERVERS|br1=evo.example.com|the URL of the server 'br1' must be an http:// or https:// URL",
        "EVOLUTION_SERVERS|br1=https://k:s@evo.example.com|the URL of the server 'br1' must not contain credentials",
    })
    void aBadValueNamesItsKeyInOneLine(String env, String value, String problem) {
        Setting setting = Setting.valueOf(env);
        Map<String, String> values = new HashMap<>();
        values.put(setting.key(), value);
        if (setting == Setting.DATABASE_URL) {
            values.put(Setting.EVOLUTION_API_BASE_URL.key(), "https://evo.example.com");
        }

        assertThatThrownBy(() -> Settings.load(values::get))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageStartingWith("Invalid configuration " + env + " (" + setting.key() + "): ")
                .hasMessageContaining(problem)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    }

    /** Docker and Kubernetes secrets: ADMIN_TOKEN_FILE names a file that holds ADMIN_TOKEN, and so on. */
    @Test
    void secretsAreReadFromTheFileTheirFileVariableNames(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        java.nio.file.Path token = java.nio.file.Files.writeString(dir.resolve("admin_token"),
                "from-a-file-0123456789abcdef\n");
        java.nio.file.Path key = java.nio.file.Files.writeString(dir.resolve("viewer_secret"),
                "v".repeat(40) + "\n");
        Settings settings = Settings.load(Map.of("admin.token.file", token.toString(),
                "viewer.token-secret.file", key.toString())::get);
        assertThat(settings.adminToken()).contains("from-a-file-0123456789abcdef");

        // both, a missing file, an empty one: refused, naming the variables, never showing a secret
        assertThatThrownBy(() -> Settings.load(Map.of("admin.token.file", token.toString(),
                "admin.token", "also-set")::get))
                .hasMessageContaining("ADMIN_TOKEN_FILE are both set").hasMessageNotContaining("also-set");
        assertThatThrownBy(() -> Settings.load(Map.of("admin.token.file", dir.resolve("none").toString())::get))
                .hasMessageContaining("ADMIN_TOKEN").hasMessageContaining("cannot be read from ADMIN_TOKEN_FILE");
        java.nio.file.Path empty = java.nio.file.Files.writeString(dir.resolve("empty"), "\n");
        assertThatThrownBy(() -> Settings.load(Map.of("admin.token.file", empty.toString())::get))
                .hasMessageContaining("is empty in ADMIN_TOKEN_FILE");
        // a viewer secret from a file is checked like one given directly
        java.nio.file.Path shortKey = java.nio.file.Files.writeString(dir.resolve("short"), "short");
        assertThatThrownBy(() -> Settings.load(Map.of("viewer.token-secret.file", shortKey.toString())::get))
                .hasMessageContaining("at least 32 characters").hasMessageNotContaining("short\"");
    }

    @Test
    void severalEvolutionServersEachWithItsUrlAndKey() {
        Settings settings = Settings.load(Map.of(
                "database.url", "jdbc:postgresql://db/app",
                "evolution.servers", " br1=https://evo-br1.example.com/ , br2 ,default=http://10.0.0.7:8080",
                "evolution.servers.br2.base-url", "https://evo-br2.example.com",
                "evolution.api-key", "global-key",
                "evolution.api-key-br1", "key-of-br1",
                "evolution.servers.br2.api-key", "key-of-br2")::get);

        List<Settings.EvolutionServer> servers = settings.evolution().servers();
        assertThat(servers).extracting(Settings.EvolutionServer::name).containsExactly("br1", "br2", "default");
        assertThat(servers).extracting(Settings.EvolutionServer::endpoint).containsExactly(
                "https://evo-br1.example.com", "https://evo-br2.example.com", "http://10.0.0.7:8080");
        assertThat(servers).extracting(server -> server.apiKey().orElseThrow())
                .containsExactly("key-of-br1", "key-of-br2", "global-key");
        assertThat(servers).extracting(Settings.EvolutionServer::breakerName)
                .containsExactly("evolution-api-br1", "evolution-api-br2", "evolution-api");
        assertThat(servers).extracting(Settings.EvolutionServer::routeId)
                .containsExactly("call-evolution-br1", "call-evolution-br2", "call-evolution-default");
        assertThat(servers.toString()).doesNotContain("key-of");
        assertThat(settings.isDemo()).isFalse();
    }

    @Test
    void oneEvolutionApiIsTheServerNamedDefault() {
        Settings settings = Settings.load(Map.of("evolution.api.base-url", "https://evo.example.com",
                "evolution.api-key", "global-key")::get);

        assertThat(settings.evolution().servers()).singleElement().satisfies(server -> {
            assertThat(server.name()).isEqualTo("default");
            assertThat(server.breakerName()).isEqualTo("evolution-api");
            assertThat(server.apiKey()).hasValue("global-key");
        });
    }

    @Test
    void eitherOneEvolutionApiOrAListOfServers() {
        assertThatThrownBy(() -> Settings.load(Map.of("evolution.api.base-url", "https://evo.example.com",
                "evolution.servers", "br2=https://evo-br2.example.com")::get))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessage("Invalid configuration EVOLUTION_SERVERS (evolution.servers): is set together with"
                        + " EVOLUTION_API_BASE_URL: name every server in EVOLUTION_SERVERS (for example default=https://evo.example.com,"
                        + "br2=https://evo-br2.example.com) and unset EVOLUTION_API_BASE_URL");
    }

    @Test
    void aRealDatabaseNeedsARealEvolutionApi() {
        assertThatThrownBy(() -> Settings.load(Map.of("database.url", "jdbc:postgresql://db/app")::get))
                .hasMessageContaining("EVOLUTION_API_BASE_URL")
                .hasMessageContaining("is required when DATABASE_URL is set");
    }

    @Test
    void aSupabaseStyleUriBecomesAJdbcUrlWithCredentialsApart() {
        DatabaseUrl url = DatabaseUrl.parse(
                "postgresql://postgres.abc:p%40ss%3Aword@aws-0.pooler.supabase.com:6543/postgres?sslmode=require",
                null, null);

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://aws-0.pooler.supabase.com:6543/postgres?sslmode=require");
        assertThat(url.user()).isEqualTo("postgres.abc");
        assertThat(url.password()).isEqualTo("p@ss:word");
        assertThat(url.toString()).doesNotContain("p@ss");
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0} -> user {1}, password {2}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
            // as libpq reads a URI: %XX decoded, '+' a plus sign, raw characters kept, credentials end at the first @
            "postgresql://u:pa+ss@db/app          | u      | pa+ss",
            "postgresql://u:pa%2Bss@db/app        | u      | pa+ss",
            "postgresql://u:p#ss?x!^@db:5432/app  | u      | p#ss?x!^",
            "postgresql://u:pa%40ss@db/app        | u      | pa@ss",
            "postgresql://u:pa:ss@db/app          | u      | pa:ss",
            "postgresql://u:s%C3%A9nha@db/app     | u      | sénha",
            "postgresql://u:sénha%21@db/app       | u      | sénha!",
            "postgres://user.ref@db/app           | user.ref | ''",
    })
    void passwordsAreReadAsLibpqReadsThem(String uri, String user, String password) {
        DatabaseUrl url = DatabaseUrl.parse(uri.strip(), null, null);

        assertThat(url.user()).isEqualTo(user.strip());
        assertThat(url.password()).isEqualTo(password.isEmpty() ? null : password.strip());
        assertThat(url.jdbcUrl()).startsWith("jdbc:postgresql://db").endsWith("/app");
        assertThat(url.toString()).doesNotContain(password.isEmpty() ? "\u0000" : password.strip());
    }

    @Test
    void aBrokenPercentSequenceInAPasswordIsNamed() {
        assertThatThrownBy(() -> DatabaseUrl.parse("postgresql://u:100%@db/app", null, null))
                .isInstanceOf(InvalidSettingException.class)
                .hasMessageContaining("DATABASE_URL").hasMessageContaining("%25")
                .hasMessageNotContaining("100%");
    }

    @Test
    void explicitCredentialsWinAndPasswordsStayOutOfLogs() {
        DatabaseUrl url = DatabaseUrl.parse("jdbc:postgresql://db:5432/app?user=a&password=hunter2&ssl=true",
                "svc", "secret");

        assertThat(url.user()).isEqualTo("svc");
        assertThat(url.password()).isEqualTo("secret");
        assertThat(url.redacted()).isEqualTo("jdbc:postgresql://db:5432/app?user=a&password=***&ssl=true");
        assertThat(url.toString()).doesNotContain("hunter2", "secret");
    }

    @Test
    void anEvolutionApiWithoutDatabaseUsesTheEmbeddedOneButIsNoDemo() {
        Settings settings = Settings.load(Map.of("evolution.api.base-url", "https://evo.example.com")::get);

        assertThat(settings.isDemo()).isFalse();
        assertThat(settings.database().url()).isEmpty();
    }

    @Test
    void aValueTheRoutesReadAsWrittenMustBeUsableAsItStands() {
        for (String[] refused : new String[][] {
                {"qr.stale-after", "", "QR_STALE_AFTER (qr.stale-after): is set but empty"},
                {"qr.refresh.cron", "  ", "QR_REFRESH_CRON (qr.refresh.cron): is set but empty"},
                {"qr.lifetime", "PT45S ", "QR_LIFETIME (qr.lifetime): 'PT45S ' has spaces around it"},
                {"alert.qr-limit.window", "pt2h", "ALERT_QR_LIMIT_WINDOW (alert.qr-limit.window): write 'pt2h' in"
                        + " capitals (PT2H)"}}) {
            Map<String, String> values = new java.util.HashMap<>(Map.of("database.url",
                    "jdbc:postgresql://db/app", "evolution.api.base-url", "http://evo:8080"));
            values.put(refused[0], refused[1]);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Settings.load(values::get))
                    .as(refused[0] + "=[" + refused[1] + "]").isInstanceOf(InvalidSettingException.class)
                    .hasMessageContaining(refused[2]);
        }
    }

    @Test
    void blankValuesMeanUnset() {
        Settings settings = Settings.load(Map.of("database.url", "  ", "admin.token", "", "qr.refresh.limit", " ")::get);

        assertThat(settings.isDemo()).isTrue();
        assertThat(settings.adminToken()).isEmpty();
        assertThat(settings.refresh().limit()).isZero();
    }

    @Test
    void theRouteReadsTheBreakerInTheUnitsCamelTakes() {
        Settings settings = Settings.load(Map.of("evolution.circuit.open-duration", "PT1.5S",
                "evolution.circuit.window-size", "4", "evolution.circuit.minimum-calls", "10")::get);

        // the four numbers reach the route as written ({{evolution.circuit.*}}); only the duration is converted
        assertThat(settings.evolution().circuit().routeProperties())
                .isEqualTo(Map.of("evolution.circuit.open-duration-seconds", "2"));
    }

    @Test
    void theAlertRouteSeesOnlyTheOriginOfTheWebhookUrl() {
        Settings slack = Settings.load(Map.of("alert.webhook.url",
                "https://hooks.slack.com:8443/services/T000/B000/secret-part?x=1")::get);
        Settings none = Settings.load(key -> null);

        assertThat(slack.alerts().webhookOrigin()).isEqualTo("https://hooks.slack.com:8443");
        assertThat(none.alerts().webhookOrigin()).endsWith(".invalid");
    }

    @Test
    void corsListsExactOriginsOnly() {
        Settings listed = Settings.load(Map.of("cors.allowed-origins",
                " https://app.example.com, http://127.0.0.1:3000 ,")::get);

        assertThat(listed.widget().corsAllowedOrigins())
                .containsExactly("https://app.example.com", "http://127.0.0.1:3000");
        assertThat(listed.widget().allowsOrigin("https://app.example.com")).isTrue();
        assertThat(listed.widget().allowsOrigin("https://app.example.com.evil.test")).isFalse();
        assertThat(Settings.load(key -> null).widget().corsAllowedOrigins()).isEmpty();
        for (String bad : new String[] {"*", "https://*.example.com", "https://app.example.com/", "app.example.com",
                "https://app.example.com/path", "ftp://app.example.com", "https://user@app.example.com"}) {
            assertThatThrownBy(() -> Settings.load(Map.of("cors.allowed-origins", bad)::get))
                    .as(bad).isInstanceOf(InvalidSettingException.class).hasMessageContaining("CORS_ALLOWED_ORIGINS");
        }
    }
}
