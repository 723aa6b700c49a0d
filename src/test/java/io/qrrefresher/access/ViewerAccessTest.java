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
        String token = tokens.mint("shop.main", NOW.plusSeconds(300));
        assertThat(token).startsWith("v1.");
        assertThat(tokens.allows(token, "shop.main", NOW)).isTrue();
        assertThat(tokens.allows(token, "shop.main", NOW.plusSeconds(300 + 61))).as("expired").isFalse();
        assertThat(tokens.allows(token, "shop", NOW)).as("another instance").isFalse();
        assertThat(tokens.allows(token.substring(0, token.length() - 2) + "AA", "shop.main", NOW)).isFalse();
        String tooLong = tokens.mint("shop.main", NOW.plus(Duration.ofDays(30)));
        assertThat(tokens.allows(tooLong, "shop.main", NOW)).as("lifetime over 24 h").isFalse();
        assertThat(new ViewerTokens(Optional.empty(), Duration.ofMinutes(5)).allows(token, "shop.main", NOW))
                .as("no secret configured").isFalse();
    }

    @Test
    void theDocumentedRecipeMakesTheSameToken() {
        // README: payload = "v1." + base64url(name) + "." + exp; token = payload + "." + base64url(HMAC-SHA256)
        long exp = NOW.plusSeconds(300).getEpochSecond();
        String payload = "v1." + Base64.getUrlEncoder().withoutPadding()
                .encodeToString("demo-storefront".getBytes(StandardCharsets.UTF_8)) + "." + exp;
        String byHand = payload + "." + Secrets.hmacBase64Url(SECRET, payload);
        assertThat(tokens.mint("demo-storefront", Instant.ofEpochSecond(exp))).isEqualTo(byHand);
    }

    @Test
    void credentialsAreReadWithoutTheRowAndMatchedAgainstIt() {
        StreamAccess access = access(false);
        QrSnapshot row = new QrSnapshot();
        row.setInstanceName("shop");
        row.setInstanceToken("evolution-key");
        row.setUserId("user-1");

        assertThat(access.read("shop", null, tokens.mint("shop", NOW.plusSeconds(60)), NOW)).get()
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

    static String jwt(String subject, Instant exp) {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        String header = encoder.encodeToString("{\"alg\":\"HS256\"}".getBytes(StandardCharsets.UTF_8));
        String claims = encoder.encodeToString(("{\"sub\":\"" + subject + "\",\"exp\":" + exp.getEpochSecond() + "}")
                .getBytes(StandardCharsets.UTF_8));
        return header + "." + claims + "." + Secrets.hmacBase64Url(JWT_SECRET, header + "." + claims);
    }
}
