package io.qrrefresher.access;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import io.qrrefresher.config.Settings;
import io.qrrefresher.stream.StreamAccess;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Link tokens, as a table: what a token says by its signature and expiry alone. */
class LinkTokensTest {

    static final String SECRET = "link-secret-0123456789abcdef0123456789";
    static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");
    final LinkTokens tokens = new LinkTokens(Optional.of(SECRET));

    @Test
    void aMintedTokenIsValidForItsInstanceUntilItExpires() {
        LinkTokens.Minted link = tokens.mint("customer-42", NOW.plus(Duration.ofHours(24)));
        LinkTokens.Check check = tokens.check(link.token(), NOW);
        assertThat(check.verdict()).isEqualTo(LinkTokens.Verdict.VALID);
        assertThat(check.instanceName()).isEqualTo("customer-42");
        assertThat(check.linkId()).isEqualTo(link.linkId()).hasSize(22);
        // as the stream reads it: a credential for that instance only, ending at the link's expiry
        StreamAccess access = new StreamAccess(new Settings.Stream(100, 10, 65_536, Duration.ofHours(1), 10, 30,
                false, Optional.of(SECRET), Duration.ofMinutes(5), Optional.empty(), "sub", Optional.empty()),
                Settings.UserJwt.ANY, new ViewerTokens(Optional.of(SECRET), Duration.ofMinutes(5)), tokens,
                Optional.empty(), Optional.empty());
        assertThat(access.read("customer-42", null, link.token(), NOW)).hasValueSatisfying(credential -> {
            assertThat(credential.kind()).isEqualTo(StreamAccess.Kind.LINK);
            assertThat(credential.getLinkId()).isEqualTo(link.linkId());
            assertThat(credential.until()).isEqualTo(NOW.plus(Duration.ofHours(24)));
        });
        assertThat(access.read("customer-43", null, link.token(), NOW)).isEmpty();
        // past its expiry (and the minute of clock skew): expired, which the page says (410), never valid
        assertThat(tokens.check(link.token(), NOW.plus(Duration.ofHours(24)).plusSeconds(61)).verdict())
                .isEqualTo(LinkTokens.Verdict.EXPIRED);
        assertThat(access.read("customer-42", null, link.token(), NOW.plus(Duration.ofDays(2)))).isEmpty();
        assertThat(access.read("customer-42", link.token(), null, NOW.plus(Duration.ofHours(24)))).as("on the second")
                .isEmpty();
    }

    @Test
    void everythingNotSignedHereIsInvalidWhateverItClaims() {
        String good = tokens.mint("customer-42", NOW.plus(Duration.ofHours(1))).token();
        String[] parts = good.split("\\.");
        String otherSecret = new LinkTokens(Optional.of("another-secret-0123456789abcdef012345")).mint("customer-42",
                NOW.plus(Duration.ofHours(1))).token();
        String[][] table = {
                {null, "no token"},
                {"", "empty"},
                {good.substring(0, good.length() - 1), "cut"},
                {parts[0] + "." + parts[1] + "." + parts[2] + "." + (Long.parseLong(parts[3]) + 3600) + "." + parts[4],
                        "a later expiry"},
                {parts[0] + ".Y3VzdG9tZXItNDM." + parts[2] + "." + parts[3] + "." + parts[4], "another name"},
                {otherSecret, "signed with another secret"},
                {"v2." + good.substring(3), "a viewer token's prefix"},
                {good + ".extra", "a sixth part"},
                {"l1." + "A".repeat(2000), "too long"},
                {"l1.e.AAAAAAAAAAAAAAAAAAAAAA.notanumber.x", "an expiry that is no number"}};
        for (String[] row : table) {
            assertThat(tokens.check(row[0], NOW).verdict()).as(row[1]).isEqualTo(LinkTokens.Verdict.INVALID);
        }
        // a token signed for longer than links live (7 days) is not one of ours, whatever its signature
        String tooLong = tokens.mint("customer-42", NOW.plus(Duration.ofDays(8))).token();
        assertThat(tokens.check(tooLong, NOW).verdict()).isEqualTo(LinkTokens.Verdict.INVALID);
        // without VIEWER_TOKEN_SECRET, nothing is a link
        assertThat(new LinkTokens(Optional.empty()).check(good, NOW).verdict()).isEqualTo(LinkTokens.Verdict.INVALID);
    }

    @Test
    void aLinkTokenIsNeverAViewerTokenNorTheReverse() {
        ViewerTokens viewer = new ViewerTokens(Optional.of(SECRET), Duration.ofMinutes(5));
        String link = tokens.mint("customer-42", NOW.plus(Duration.ofHours(1))).token();
        String viewerToken = viewer.mint("customer-42", "1", "", NOW.plus(Duration.ofMinutes(5)));
        assertThat(viewer.verify(link, "customer-42", NOW)).isEmpty();
        assertThat(tokens.check(viewerToken, NOW).verdict()).isEqualTo(LinkTokens.Verdict.INVALID);
    }
}
