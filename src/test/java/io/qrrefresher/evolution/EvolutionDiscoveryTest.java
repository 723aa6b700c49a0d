package io.qrrefresher.evolution;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import io.qrrefresher.config.Settings.EvolutionServer;
import io.qrrefresher.evolution.EvolutionServerInfo.Reading;
import io.qrrefresher.support.Fixtures;
import io.qrrefresher.support.MutableClock;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * Which server holds the instance of a row that names none: what a server's list says (v2 and v1 bodies, nodes that
 * share a database, bodies that are not lists), when a list is due, when "listed by none" may be concluded, and where
 * a row's calls go ({@link EvolutionServers#locate}).
 */
class EvolutionDiscoveryTest {

    static final EvolutionServers FLEET = new EvolutionServers(List.of(
            new EvolutionServer("br1", URI.create("http://127.0.0.1:1"), Optional.of("key-br1")),
            new EvolutionServer("br2", URI.create("http://127.0.0.1:2"), Optional.of("key-br2")),
            new EvolutionServer("mx1", URI.create("http://127.0.0.1:3"), Optional.empty())));

    final Map<String, Reading> readings = new HashMap<>();
    MutableClock clock;
    EvolutionDiscovery discovery;

    @BeforeEach
    void fleet() {
        clock = new MutableClock(Instant.parse("2026-12-06T12:00:00Z"));
        discovery = new EvolutionDiscovery(FLEET, readings::get, Duration.ofMinutes(5), clock);
    }

    @Test
    void aV2ListGivesTheServersOwnInstancesNotThoseOfANodeSharingItsDatabase() {
        readings.put("br1", reading("evolution_exchange"));

        EvolutionDiscovery.Listing listing = discovery.read("br1", 200, body(Fixtures.bytes("fetch-instances.json")));

        assertThat(listing.isUsable()).isTrue();
        assertThat(listing.names()).containsExactly("acme-support", "acme-sales");
        assertThat(listing.getNamesJson()).isEqualTo("[\"acme-support\",\"acme-sales\"]")
                .doesNotContain("B7C0A1F2");
    }

    @Test
    void aV1ListIsReadByItsInstanceNames() {
        readings.put("br1", reading(null));

        EvolutionDiscovery.Listing listing = discovery.read("br1", 200,
                body(Fixtures.bytes("v1/fetch-instances.json")));

        assertThat(listing.names()).containsExactly("acme-support");
    }

    static Stream<Arguments> unusableLists() {
        return Stream.of(
                arguments(401, "{\"status\":401,\"error\":\"Unauthorized\",\"response\":{\"message\":\"Unauthorized\"}}",
                        "HTTP 401"),
                arguments(503, "{\"error\":\"service not activated\",\"code\":\"LICENSE_REQUIRED\","
                        + "\"instance_id\":\"3f2b8c1e\"}", "LICENSE_REQUIRED"),
                arguments(200, "{\"instances\":[]}", "did not answer a JSON array"),
                arguments(200, "[1, 2]", "array of something else"),
                arguments(200, "[{\"name\":\"a\"}, ", "ends early"),
                arguments(200, "<html>proxy error</html>", "not JSON"));
    }

    @ParameterizedTest
    @MethodSource("unusableLists")
    void aListThatCannotBeReadSaysWhyAndEchoesNothing(int status, String body, String why) {
        readings.put("br1", reading("evolution_exchange"));

        EvolutionDiscovery.Listing listing = discovery.read("br1", status,
                body(body.getBytes(StandardCharsets.UTF_8)));

        assertThat(listing.isUsable()).isFalse();
        assertThat(listing.problem()).contains(why).doesNotContain("3f2b8c1e");
        assertThat(listing.names()).isEmpty();
    }

    @Test
    void aListOfMoreEntriesThanTheLimitIsNotReadNorHeld() {
        readings.put("br1", reading(null));
        StringBuilder body = new StringBuilder("[");
        for (int i = 0; i <= EvolutionDiscovery.MAX_ENTRIES; i++) {
            body.append(i == 0 ? "" : ",").append("{\"name\":\"n").append(i).append("\"}");
        }
        body.append("]");

        EvolutionDiscovery.Listing listing = discovery.read("br1", 200,
                body(body.toString().getBytes(StandardCharsets.UTF_8)));

        assertThat(listing.isUsable()).isFalse();
        assertThat(listing.problem()).contains("more than " + EvolutionDiscovery.MAX_ENTRIES + " instances");
        assertThat(listing.names()).isEmpty();
    }

    @Test
    void aListLongerThanTheLimitIsNotRead() {
        readings.put("br1", reading(null));
        InputStream endless = new InputStream() {
            long sent;
            // entries of a kilobyte: the byte limit comes before the entry limit
            final byte[] entry = ("{\"name\":\"" + "x".repeat(1000) + "\"},").getBytes(StandardCharsets.UTF_8);

            @Override
            public int read() {
                sent++;
                return sent == 1 ? '[' : entry[(int) ((sent - 2) % entry.length)];
            }
        };

        EvolutionDiscovery.Listing listing = discovery.read("br1", 200, endless);

        assertThat(listing.isUsable()).isFalse();
        assertThat(listing.problem()).contains("more than " + EvolutionDiscovery.MAX_BYTES + " bytes");
    }

    @Test
    void aListIsDueAtStartThenEveryIntervalOrAfterARequestAndOnlyOnceGetRootAnswered() {
        assertThat(discovery.due("br1")).as("GET / has not answered: its clientName is unknown").isFalse();
        assertThat(discovery.describe("br1").get("listing_problem").toString()).contains("waiting for its GET /");

        readings.put("br1", reading("evolution_exchange"));
        assertThat(discovery.due("br1")).as("never listed").isTrue();
        assertThat(discovery.due("br1")).as("just attempted").isFalse();
        discovery.listed(new EvolutionDiscovery.Listing("br1", List.of("a"), null));

        clock.advance(Duration.ofMinutes(4));
        assertThat(discovery.due("br1")).isFalse();
        discovery.request();
        assertThat(discovery.due("br1")).as("a 404 asked for a new list").isTrue();
        assertThat(discovery.due("br1")).isFalse();

        clock.advance(Duration.ofMinutes(5));
        assertThat(discovery.due("br1")).as("the interval passed").isTrue();

        assertThat(discovery.due("mx1")).as("no key to ask for its list").isFalse();
        assertThat(discovery.describe("mx1").get("listing_problem").toString()).contains("EVOLUTION_API_KEY_MX1");
        assertThat(discovery.due("br9")).as("not configured").isFalse();
    }

    @Test
    void onNoServerIsConcludedOnlyOnceEveryServerWasListedAfterTheRequest() {
        EvolutionDiscovery twoServers = new EvolutionDiscovery(new EvolutionServers(FLEET.all().subList(0, 2)),
                readings::get, Duration.ofMinutes(5), clock);
        readings.put("br1", reading("a"));
        readings.put("br2", reading("b"));
        assertThat(twoServers.everyServerListedSinceAsked()).as("nothing asked yet").isFalse();
        listAll(twoServers);
        assertThat(twoServers.everyServerListedSinceAsked()).isFalse();

        clock.advance(Duration.ofSeconds(1));
        twoServers.request();
        assertThat(twoServers.everyServerListedSinceAsked()).as("lists read before the request").isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(twoServers.due("br1")).isTrue();
        twoServers.listed(new EvolutionDiscovery.Listing("br1", List.of(), null));
        // a second 404 while the request waits does not postpone it
        clock.advance(Duration.ofSeconds(1));
        twoServers.request();
        assertThat(twoServers.everyServerListedSinceAsked()).as("br2 not listed since").isFalse();
        assertThat(twoServers.due("br2")).isTrue();
        twoServers.failed("br2", new EvolutionDiscovery.Listing("br2", List.of(), "HTTP 500"), null);
        assertThat(twoServers.everyServerListedSinceAsked()).as("br2's list failed").isFalse();

        clock.advance(Duration.ofSeconds(1));
        twoServers.request();
        assertThat(twoServers.due("br2")).as("asked again").isTrue();
        twoServers.listed(new EvolutionDiscovery.Listing("br2", List.of(), null));
        assertThat(twoServers.everyServerListedSinceAsked()).as("br1 was listed before this request").isFalse();
        assertThat(twoServers.due("br1")).isTrue();
        twoServers.listed(new EvolutionDiscovery.Listing("br1", List.of(), null));
        assertThat(twoServers.everyServerListedSinceAsked()).isTrue();
    }

    static Stream<Arguments> locations() {
        return Stream.of(
                // row's column, servers whose list names it -> server, by default, failure reason
                arguments("br2", null, "br2", false, null),
                arguments(" br2 ", "br1", "br2", false, null),
                arguments("br9", null, null, false, "unknown_server"),
                arguments(null, null, "br1", true, null),
                arguments("", "br2", "br2", false, null),
                arguments(null, "br2,gone", "br2", false, null),
                arguments(null, "gone", "br1", true, null),
                arguments(null, "br1,br2", null, false, "on_several_servers"));
    }

    @ParameterizedTest
    @MethodSource("locations")
    void aRowsCallsGoToTheServerItNamesElseTheOneThatListsIt(String column, String discovered, String server,
                                                              boolean byDefault, String failure) {
        EvolutionServers.Location location = FLEET.locate(column, discovered);

        assertThat(location.server() == null ? null : location.server().name()).isEqualTo(server);
        assertThat(location.byDefault()).isEqualTo(byDefault);
        assertThat(location.failureReason()).isEqualTo(failure);
    }

    @Test
    void withOneServerNothingIsListedAndEveryRowThatNamesNoneIsOnIt() {
        EvolutionServers one = new EvolutionServers(List.of(FLEET.all().get(0)));
        EvolutionDiscovery single = new EvolutionDiscovery(one, readings::get, Duration.ofMinutes(5), clock);
        readings.put("br1", reading("a"));

        assertThat(single.due("br1")).isFalse();
        assertThat(one.locate(null, "br1,br2").server().name()).isEqualTo("br1");
        assertThat(one.locate(null, "br1,br2").byDefault()).isFalse();
        assertThat(single.describe("br1")).isEmpty();
    }

    private void listAll(EvolutionDiscovery on) {
        for (String server : List.of("br1", "br2")) {
            assertThat(on.due(server)).isTrue();
            on.listed(new EvolutionDiscovery.Listing(server, List.of(), null));
        }
    }

    private static Reading reading(String clientName) {
        return new Reading("2.3.7", clientName, null, false, null, Instant.parse("2026-12-06T11:59:00Z"));
    }

    private static InputStream body(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }
}
