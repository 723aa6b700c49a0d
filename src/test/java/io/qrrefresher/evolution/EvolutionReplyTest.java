package io.qrrefresher.evolution;

import java.nio.charset.StandardCharsets;

import io.qrrefresher.evolution.EvolutionReply.Kind;
import io.qrrefresher.support.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** The replies of Evolution API v2 (src/test/resources/evolution), told apart by shape, whatever their HTTP status says. */
class EvolutionReplyTest {

    @ParameterizedTest(name = "{0} -> {2}")
    @CsvSource({
        "connection-state-open.json, 200, STATE, open",
        "connection-state-connecting.json, 200, STATE, connecting",
        "connection-state-close.json, 200, STATE, close",
        "connect-already-open.json, 200, STATE, open",
        "v1/connect-already-open.json, 200, STATE, open",
    })
    void states(String fixture, int status, Kind kind, String state) {
        EvolutionReply reply = EvolutionReply.parse(status, "application/json", Fixtures.bytes(fixture));

        assertThat(reply.kind()).isEqualTo(kind);
        assertThat(reply.state()).isEqualTo(state);
        assertThat(reply.isFailure()).isFalse();
    }

    @Test
    void aStateBodyWithoutStateMeansNotLoaded() {
        EvolutionReply reply = EvolutionReply.parse(200, null, Fixtures.bytes("connection-state-not-loaded.json"));

        assertThat(reply.kind()).isEqualTo(Kind.STATE);
        assertThat(reply.state()).isNull();
    }

    @Test
    void aQr() {
        EvolutionReply reply = EvolutionReply.parse(200, "application/json", Fixtures.bytes("connect-qr.json"));

        assertThat(reply.kind()).isEqualTo(Kind.QR);
        assertThat(reply.qrCode()).startsWith("2@Ej4buzr3");
        assertThat(reply.qrBase64()).startsWith("data:image/png;base64,iVBORw0KGgo");
        assertThat(reply.qrCount()).isEqualTo(3);
    }

    @Test
    void aPairingCodeQrAndTheV1Qr() {
        assertThat(EvolutionReply.parse(200, null, Fixtures.bytes("connect-qr-pairing-code.json")).kind())
                .isEqualTo(Kind.QR);
        assertThat(EvolutionReply.parse(200, null, Fixtures.bytes("v1/connect-qr.json")).kind()).isEqualTo(Kind.QR);
    }

    @Test
    void countZeroIsNoQrYet() {
        EvolutionReply reply = EvolutionReply.parse(200, null, Fixtures.bytes("connect-qr-not-ready.json"));

        assertThat(reply.kind()).isEqualTo(Kind.NO_QR_YET);
        assertThat(reply.qrCount()).isZero();
        assertThat(reply.isFailure()).isFalse();
    }

    @ParameterizedTest(name = "{0} -> {2}")
    @CsvSource(delimiter = '|', value = {
        "not-found.json|404|NOT_FOUND|does not exist in Evolution API",
        "v1/not-found.json|404|NOT_FOUND|does not exist in Evolution API",
        "route-not-found.json|404|FAILURE|no such route (Cannot POST /instance/connect/acme-support)",
        "unauthorized.json|401|UNAUTHORIZED|refused the apikey",
        "v1/unauthorized.json|401|UNAUTHORIZED|refused the apikey",
        "connect-error-200.json|200|FAILURE|HTTP 200 with {\"error\":true}: [object Object]",
        "internal-error.json|500|FAILURE|HTTP 500: Error: <error.toString() of the underlying failure>",
        "license-required-503.json|503|LICENCE_REQUIRED|not activated (HTTP 503 LICENSE_REQUIRED): activate its licence",
        "root-info.json|200|FAILURE|unrecognised JSON shape",
    })
    void failures(String fixture, int status, Kind kind, String problem) {
        EvolutionReply reply = EvolutionReply.parse(status, "application/json", Fixtures.bytes(fixture));

        assertThat(reply.kind()).isEqualTo(kind);
        assertThat(reply.isFailure()).isTrue();
        assertThat(reply.problem()).contains(problem);
    }

    @Test
    void theLicenceGateSaysWhatToDoAndEchoesNeitherTheServersIdNorItsLinks() {
        String problem = EvolutionReply.parse(503, "application/json", Fixtures.bytes("license-required-503.json"))
                .problem();

        assertThat(problem).contains("LICENSE_REQUIRED", "activate its licence")
                .doesNotContain("3f2b8c1e", "evo.example.com", "docs.evolutionfoundation");
    }

    @Test
    void anEmptyBodyIsAFailure() {
        assertThat(EvolutionReply.parse(200, null, new byte[0]).problem()).contains("empty body");
        assertThat(EvolutionReply.parse(200, null, "  \n".getBytes(StandardCharsets.UTF_8)).isFailure()).isTrue();
    }

    @Test
    void textThatIsNotJsonIsAFailureWithAShortSingleLineExcerpt() {
        String html = "<html>\n<body>" + "x".repeat(500) + "</body></html>";

        EvolutionReply reply = EvolutionReply.parse(200, "text/html", html.getBytes(StandardCharsets.UTF_8));

        assertThat(reply.problem()).contains("not a JSON object (text/html)").doesNotContain("\n");
        assertThat(reply.problem().length()).isLessThan(250);
        assertThat(EvolutionReply.parse(200, null, "[1,2]".getBytes(StandardCharsets.UTF_8)).isFailure()).isTrue();
        assertThat(EvolutionReply.parse(200, null, "{\"count\":".getBytes(StandardCharsets.UTF_8)).isFailure())
                .isTrue();
    }

    @Test
    void instanceNamesArePercentEncodedAsOnePathSegment() {
        assertThat(EvolutionCall.encodeSegment("acme-support_1.x~")).isEqualTo("acme-support_1.x~");
        assertThat(EvolutionCall.encodeSegment("x'); drop table --")).isEqualTo("x%27%29%3B%20drop%20table%20--");
        assertThat(EvolutionCall.encodeSegment("{{admin.token}}/a?b#c")).isEqualTo("%7B%7Badmin.token%7D%7D%2Fa%3Fb%23c");
        assertThat(EvolutionCall.encodeSegment("loja-são")).isEqualTo("loja-s%C3%A3o");
    }
}
