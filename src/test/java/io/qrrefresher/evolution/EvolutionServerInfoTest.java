package io.qrrefresher.evolution;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.qrrefresher.config.Settings.EvolutionServer;
import io.qrrefresher.support.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a server's {@code GET /} may answer, read into what {@code GET /evolution-servers} and the info gauge show: a
 * version, the licence gate, something that is not Evolution, a body too large, no answer at all.
 */
class EvolutionServerInfoTest {

    static final ObjectMapper JSON = new ObjectMapper();

    SimpleMeterRegistry registry;
    EvolutionServerInfo info;

    @BeforeEach
    void twoServers() {
        registry = new SimpleMeterRegistry();
        EvolutionServers servers = new EvolutionServers(List.of(
                new EvolutionServer("br1", URI.create("https://evo-br1.example.com"), Optional.of("key-one")),
                new EvolutionServer("br2", URI.create("https://evo-br2.example.com"), Optional.empty())));
        info = new EvolutionServerInfo(servers, name -> name.equals("br2") ? "OPEN" : "CLOSED", registry,
                Clock.fixed(Instant.parse("2026-12-06T12:00:00Z"), ZoneOffset.UTC));
    }

    @Test
    void aVersionIsReadAndShownWithTheBreaker() throws Exception {
        info.read("br1", 200, body(Fixtures.bytes("root-info.json")));

        JsonNode servers = answer();
        assertThat(servers.path(0).path("version").asText()).isEqualTo("2.3.6");
        assertThat(servers.path(0).path("client_name").asText()).isEqualTo("evolution_exchange");
        assertThat(servers.path(0).path("whatsapp_web_version").asText()).isEqualTo("2.3000.1028950000");
        assertThat(servers.path(0).path("problem").isNull()).isTrue();
        assertThat(servers.path(0).path("read_at").asText()).isEqualTo("2026-12-06T12:00:00Z");
        // br2 never answered: nothing known, its breaker as it is
        assertThat(servers.path(1).path("version").isNull()).isTrue();
        assertThat(servers.path(1).path("circuit_breaker").asText()).isEqualTo("OPEN");
        assertThat(answer().toString()).doesNotContain("key-one");
        assertThat(info.commonVersion()).isEmpty();
        assertThat(registry.find("qr_refresher.evolution.server.info").tags("server", "br1", "version", "2.3.6")
                .gauge()).isNotNull();
        assertThat(registry.find("qr_refresher.evolution.server.info").tags("server", "br2", "version", "unknown")
                .gauge()).isNotNull();

        info.read("br2", 200, body(Fixtures.bytes("root-info.json")));
        assertThat(info.commonVersion()).hasValue("2.3.6");
    }

    @Test
    void theLicenceGateIsNamedWithoutItsIdOrLinks() throws Exception {
        info.read("br2", 503, body(Fixtures.bytes("license-required-503.json")));

        JsonNode server = answer().path(1);
        assertThat(server.path("licence_required").asBoolean()).isTrue();
        assertThat(server.path("problem").asText()).contains("LICENSE_REQUIRED", "activate its licence");
        assertThat(answer().toString()).doesNotContain("3f2b8c1e", "evo.example.com/manager", "docs.evolutionfoundation");
    }

    @Test
    void answersThatAreNotEvolutionKeepWhatWasKnownAndSayWhy() throws Exception {
        info.read("br1", 200, body(Fixtures.bytes("root-info.json")));

        info.read("br1", 200, body("{\"status\":200}".getBytes(StandardCharsets.UTF_8)));
        assertThat(answer().path(0).path("problem").asText()).isEqualTo(
                "GET / answered HTTP 200 without a version: is this Evolution API?");
        assertThat(answer().path(0).path("version").asText()).isEqualTo("2.3.6");

        info.read("br1", 502, body("<html>Bad gateway</html>".getBytes(StandardCharsets.UTF_8)));
        assertThat(answer().path(0).path("problem").asText()).isEqualTo(
                "GET / answered HTTP 502 with a body that is not JSON");

        byte[] huge = ("{\"version\":\"" + "9".repeat(EvolutionServerInfo.MAX_BYTES) + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        info.read("br1", 200, body(huge));
        assertThat(answer().path(0).path("problem").asText()).isEqualTo(
                "GET / answered HTTP 200 with a body too large to read");
        assertThat(answer().path(0).path("version").asText()).isEqualTo("2.3.6");

        info.unreachable("br1", new java.net.ConnectException("Connection refused"));
        assertThat(answer().path(0).path("problem").asText()).startsWith("unreachable: ").contains("Connection refused");
        assertThat(answer().path(0).path("version").asText()).isEqualTo("2.3.6");
    }

    @Test
    void whatAServerSaysOfItselfIsShownPrintableAndShort() throws Exception {
        info.read("br1", 200, body(("{\"version\":\"2.3.7\\n\\u001b[31mFAKE\",\"clientName\":\"" + "x".repeat(500)
                + "\"}").getBytes(StandardCharsets.UTF_8)));

        JsonNode server = answer().path(0);
        assertThat(server.path("version").asText()).doesNotContain("\n", "\u001b").startsWith("2.3.7");
        assertThat(server.path("client_name").asText().length()).isLessThanOrEqualTo(64 + 3);
    }

    private JsonNode answer() throws IOException {
        return JSON.readTree(info.answer().json()).path("servers");
    }

    private static ByteArrayInputStream body(byte[] bytes) {
        return new ByteArrayInputStream(bytes);
    }

    @Test
    void getRootIsReadAtStartThenEveryIntervalAndEvery15SecondsWhileItFailsOrTheGateIsClosed() throws Exception {
        io.qrrefresher.support.MutableClock clock = new io.qrrefresher.support.MutableClock(
                Instant.parse("2026-12-06T12:00:00Z"));
        EvolutionServers servers = new EvolutionServers(List.of(
                new EvolutionServer("br1", URI.create("https://evo-br1.example.com"), Optional.empty())));
        EvolutionServerInfo timed = new EvolutionServerInfo(servers, name -> "CLOSED", new SimpleMeterRegistry(),
                clock, java.time.Duration.ofMinutes(5));

        assertThat(timed.due("br1")).as("at start").isTrue();
        assertThat(timed.due("br1")).isFalse();
        timed.read("br1", 200, body(Fixtures.bytes("root-info.json")));
        clock.advance(java.time.Duration.ofMinutes(4));
        assertThat(timed.due("br1")).isFalse();
        clock.advance(java.time.Duration.ofMinutes(1));
        assertThat(timed.due("br1")).as("the interval passed").isTrue();

        timed.read("br1", 503, body(Fixtures.bytes("license-required-503.json")));
        clock.advance(java.time.Duration.ofSeconds(14));
        assertThat(timed.due("br1")).isFalse();
        clock.advance(java.time.Duration.ofSeconds(1));
        assertThat(timed.due("br1")).as("the gate is closed: read again soon").isTrue();
        timed.unreachable("br1", new java.net.ConnectException("Connection refused"));
        clock.advance(java.time.Duration.ofSeconds(15));
        assertThat(timed.due("br1")).as("unreachable: read again soon").isTrue();
    }
}
