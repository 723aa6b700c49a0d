package io.qrrefresher.stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Whether a browser's Origin is the service's own: the host and port the request was sent to (its Host header). */
class CrossOriginTest {

    @ParameterizedTest(name = "{0} to {1} -> {2}")
    @CsvSource({
        "http://127.0.0.1:8080, 127.0.0.1:8080, true",
        "http://localhost:8080, localhost:8080, true",
        "https://qr.example.com, qr.example.com, true",
        "https://qr.example.com, qr.example.com:443, true",
        "http://qr.example.com, qr.example.com:80, true",
        "HTTPS://QR.EXAMPLE.COM, qr.example.com, true",
        "http://127.0.0.1:3000, 127.0.0.1:8080, false",
        "https://qr.example.com, qr.example.com:8443, false",
        "https://evil.example.com, qr.example.com, false",
        "https://qr.example.com.evil.test, qr.example.com, false",
        "null, qr.example.com, false",
        "https://qr.example.com, , false",
    })
    void ownOrigin(String origin, String host, boolean own) {
        assertThat(CrossOrigin.isOwn(origin, host)).isEqualTo(own);
    }
}
