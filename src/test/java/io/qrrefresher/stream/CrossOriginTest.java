package io.qrrefresher.stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whether a browser's Origin is the service's own: the IP address or localhost, and port, the request was sent to (its
 * Host header). A domain name never is (DNS rebinding).
 */
class CrossOriginTest {

    @ParameterizedTest(name = "{0} to {1} -> {2}")
    @CsvSource({
        "http://127.0.0.1:8080, 127.0.0.1:8080, true",
        "http://localhost:8080, localhost:8080, true",
        "http://[::1]:8080, [::1]:8080, true",
        "http://10.0.0.5, 10.0.0.5:80, true",
        // a domain name in both Origin and Host proves nothing (DNS rebinding): it must be listed
        "https://qr.example.com, qr.example.com, false",
        "https://evil.example, evil.example:443, false",
        "http://qr.example.com, qr.example.com:80, false",
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
