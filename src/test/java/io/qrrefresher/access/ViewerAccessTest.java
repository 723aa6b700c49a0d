package io.qrrefresher.access;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

import io.qrrefresher.config.Settings;
import io.qrrefresher.stream.QrSnapshot;
import io.qrrefresher.stream.StreamAccess;
import io.qrrefresher.stream.StreamAccess.Kind;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Who may open a stream, decided without the database where possible. */
class ViewerAccessTest {

    static final String SECRET = "viewer-secret-0123456789abcdef0123456789";
    static final String JWT_SECRET = "jwt-secret-0123456789abcdef0123456789abc";
    static final String ADMIN = "admin-token-0123456789";
    static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

    final ViewerTokens tokens = new ViewerTokens(Optional.of(SECRET), Duration.ofMinutes(5));

    StreamAccess access(boolean allowInstanceToken) {
        Settings.Stream settings = new Settings.Stream(100, 10, 65_536, Duration.ofHours(1), 10, 30,
                allowInstanceToken, Optional.of(SECRET), Duration.ofMinutes(5), Optional.of(JWT_SECRET), "sub",
                Optional.empty());
        return new StreamAccess(settings, tokens, Optional.of(ADMIN), Optional.empty());
    }

    @Test
    void aViewerTokenIsForOneInstanceUntilItExpires() {
        String token = tokens.mint("shop.main", "42", "user-1", NOW.plusSeconds(300));
        assertThat(token).startsWith("v2.");
        assertThat(tokens.verify(token, "shop.main", NOW)).contains(new ViewerTokens.Binding("42", "user-1"));
        assertThat(tokens.verify(token, "shop.main", NOW.plusSeconds(300 + 61))).as("expired").isEmpty();
        assertThat(tokens.verify(token, "shop", NOW)).as("another instance").isEmpty();
        assertThat(tokens.verify(token.substring(0, token.length() - 2) + "AA", "shop.main", NOW)).isEmpty();
        String tooLong = tokens.mint("shop.main", "42", "user-1", NOW.plus(Duration.ofDays(30)));
        assertThat(tokens.verify(tooLong, "shop.main", NOW)).as("lifetime over 24 h").isEmpty();
        assertThat(new ViewerTokens(Optional.empty(), Duration.ofMinutes(5)).verify(token, "shop.main", NOW))
                .as("no secret configured").isEmpty();
    }

    @Test
    void theDocumentedRecipeMakesTheSameToken() {
        // README: payload = "v2." + b64u(name) + "." + b64u(id) + "." + b64u(user_id or "") + "." + exp;
        // token = payload + "." + b64u(HMAC-SHA256(VIEWER_TOKEN_SECRET, payload))
        long exp = NOW.plusSeconds(300).getEpochSecond();
        Base64.Encoder b64u = Base64.getUrlEncoder().withoutPadding();
        String payload = "v2." + b64u.encodeToString("demo-storefront".getBytes(StandardCharsets.UTF_8)) + "."
                + b64u.encodeToString("9f1c".getBytes(StandardCharsets.UTF_8)) + "." + "" + "." + exp;
        String byHand = payload + "." + Secrets.hmacBase64Url(SECRET, payload);
        assertThat(tokens.mint("demo-storefront", "9f1c", null, Instant.ofEpochSecond(exp))).isEqualTo(byHand);
    }

    @Test
    void aViewerTokenOpensOnlyTheRowAndOwnerItWasMintedFor() {
        StreamAccess access = access(false);
        QrSnapshot row = new QrSnapshot();
        row.setInstanceName("alice-inst");
        row.setRowId("17");
        row.setUserId("alice");
        StreamAccess.Credential credential = access.read("alice-inst", null,
                tokens.mint("alice-inst", "17", "alice", NOW.plusSeconds(60)), NOW).orElseThrow();
        assertThat(access.allows(credential, row)).isTrue();

        row.setUserId("bob");
        assertThat(access.allows(credential, row)).as("the row given to another user").isFalse();
        row.setUserId("alice");
        row.setRowId("18");
        assertThat(access.allows(credential, row)).as("the row deleted and created again").isFalse();
        row.setRowId("17");
        row.setUserId(null);
        assertThat(access.allows(credential, row)).as("the owner removed").isFalse();

        String v1 = "v1." + Base64.getUrlEncoder().withoutPadding().encodeToString(
                "alice-inst".getBytes(StandardCharsets.UTF_8)) + "." + NOW.plusSeconds(60).getEpochSecond();
        assertThat(access.read("alice-inst", null, v1 + "." + Secrets.hmacBase64Url(SECRET, v1), NOW))
                .as("a v1 token, bound to the name only").isEmpty();
    }

    @Test
    void credentialsAreReadWithoutTheRowAndMatchedAgainstIt() {
        StreamAccess access = access(false);
        QrSnapshot row = new QrSnapshot();
        row.setInstanceName("shop");
        row.setInstanceToken("evolution-key");
        row.setUserId("user-1");

        assertThat(access.read("shop", null, tokens.mint("shop", "1", "user-1", NOW.plusSeconds(60)), NOW)).get()
                .extracting(StreamAccess.Credential::kind).isEqualTo(Kind.VIEWER_TOKEN);
        assertThat(access.read("shop", ADMIN, null, NOW)).get()
                .extracting(StreamAccess.Credential::kind).isEqualTo(Kind.ADMIN);
        assertThat(access.read("shop", null, ADMIN, NOW)).as("admin token in a URL").isEmpty();
        assertThat(access.read("shop", "evolution-key", null, NOW)).as("instance token, switch off").isEmpty();
        assertThat(access.read("shop", "garbage", null, NOW)).isEmpty();
        assertThat(access.read("shop", null, null, NOW)).isEmpty();

        StreamAccess.Credential user = access.read("shop", jwt("user-1", NOW.plusSeconds(60)), null, NOW).orElseThrow();
        assertThat(access.allows(user, row)).isTrue();
        StreamAccess.Credential other = access.read("shop", jwt("user-2", NOW.plusSeconds(60)), null, NOW).orElseThrow();
        assertThat(access.allows(other, row)).isFalse();
        assertThat(access.read("shop", jwt("user-1", NOW.minusSeconds(600)), null, NOW)).as("expired JWT").isEmpty();

        StreamAccess compatible = access(true);
        StreamAccess.Credential key = compatible.read("shop", "evolution-key", null, NOW).orElseThrow();
        assertThat(compatible.allows(key, row)).isTrue();
        assertThat(compatible.allows(compatible.read("shop", "wrong", null, NOW).orElseThrow(), row)).isFalse();
        assertThat(compatible.read("shop", null, ADMIN, NOW)).as("admin token in a URL, even then").isEmpty();
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', textBlock = """
            as the application issues it        | "aud":"authenticated","iss":"https://p.supabase.co/auth/v1","iat":%1$d,"exp":%2$d | true
            audience in a list                  | "aud":["x","authenticated"],"iss":"https://p.supabase.co/auth/v1","exp":%2$d       | true
            another audience                    | "aud":"anon","iss":"https://p.supabase.co/auth/v1","exp":%2$d                      | false
            no audience                         | "iss":"https://p.supabase.co/auth/v1","exp":%2$d                                   | false
            another issuer                      | "aud":"authenticated","iss":"https://evil.example","exp":%2$d                      | false
            valid for ten years                 | "aud":"authenticated","iss":"https://p.supabase.co/auth/v1","exp":%3$d             | false
            issued long before, valid for years | "aud":"authenticated","iss":"https://p.supabase.co/auth/v1","iat":1,"exp":%2$d     | false
            not valid yet                       | "aud":"authenticated","iss":"https://p.supabase.co/auth/v1","nbf":%2$d,"exp":%2$d  | false
            """)
    void userJwtsSayWhoTheyAreForAndExpireSoon(String label, String claims, boolean accepted) {
        Settings.Stream settings = new Settings.Stream(100, 10, 65_536, Duration.ofHours(1), 10, 30, false,
                Optional.of(SECRET), Duration.ofMinutes(5), Optional.of(JWT_SECRET), "sub", Optional.empty());
        StreamAccess access = new StreamAccess(settings, new Settings.UserJwt(Optional.of("authenticated"),
                Optional.of("https://p.supabase.co/auth/v1"), Duration.ofHours(24)), tokens, Optional.of(ADMIN),
                Optional.empty());
        long now = NOW.getEpochSecond();
        String json = "{\"sub\":\"user-1\"," + String.format(claims, now, now + 3600, now + 3600L * 24 * 3650) + "}";
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        String header = encoder.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8));
        String body = encoder.encodeToString(json.getBytes(StandardCharsets.UTF_8));
        String token = header + "." + body + "." + Secrets.hmacBase64Url(JWT_SECRET, header + "." + body);

        assertThat(access.read("shop", token, null, NOW).isPresent()).isEqualTo(accepted);
    }

    static String jwt(String subject, Instant exp) {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        String header = encoder.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8));
        String claims = encoder.encodeToString(("{\"sub\":\"" + subject + "\",\"exp\":" + exp.getEpochSecond() + "}")
                .getBytes(StandardCharsets.UTF_8));
        return header + "." + claims + "." + Secrets.hmacBase64Url(JWT_SECRET, header + "." + claims);
    }
}
