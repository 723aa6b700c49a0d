package io.qrrefresher.edge;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Whose address a request is: forwarding headers count only from trusted proxies, read from the right. */
class ClientAddressesTest {

    static final ClientAddresses BEHIND_PROXIES = new ClientAddresses(List.of("10.0.0.0/8", "192.168.1.7", "fd00::/8"));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            no proxy: the peer                        | 203.0.113.9 | 198.51.100.1                      | -                                  | 203.0.113.9
            untrusted peer's header is ignored        | 203.0.113.9 | 1.2.3.4                           | -                                  | 203.0.113.9
            one trusted proxy                         | 10.0.0.2    | 198.51.100.1                      | -                                  | 198.51.100.1
            a client's own forged hops stay left      | 10.0.0.2    | 6.6.6.6, 198.51.100.1             | -                                  | 198.51.100.1
            two trusted proxies                       | 10.0.0.2    | 198.51.100.1, 192.168.1.7         | -                                  | 198.51.100.1
            client with a port                        | 10.0.0.2    | 198.51.100.1:5555                 | -                                  | 198.51.100.1
            IPv6 client                               | 10.0.0.2    | 2001:db8::1                       | -                                  | 2001:db8::1
            garbage hop: the last trusted one         | 10.0.0.2    | unknown                           | -                                  | 10.0.0.2
            no header from the proxy                  | 10.0.0.2    | -                                 | -                                  | 10.0.0.2
            Forwarded when there is no XFF            | 10.0.0.2    | -                                 | for=198.51.100.1;proto=https       | 198.51.100.1
            Forwarded, IPv6 quoted with port          | 10.0.0.2    | -                                 | for="[2001:db8:cafe::17]:4711"     | 2001:db8:cafe::17
            Forwarded chain, right-most untrusted     | 10.0.0.2    | -                                 | for=6.6.6.6, for=198.51.100.2      | 198.51.100.2
            trusted IPv6 proxy                        | fd00::1     | 198.51.100.3                      | -                                  | 198.51.100.3
            """)
    void theClientIsTheRightMostUntrustedHop(String label, String peer, String xForwardedFor, String forwarded,
                                            String client) {
        assertThat(BEHIND_PROXIES.client(peer, xForwardedFor == null ? List.of() : List.of(xForwardedFor),
                forwarded == null ? List.of() : List.of(forwarded))).isEqualTo(client);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"10.0.0.0/33", "not-an-address", "10.0.0.0/x", "example.com"})
    void aBadEntryIsNamed(String entry) {
        assertThatThrownBy(() -> new ClientAddresses(List.of(entry))).hasMessageContaining(entry);
    }

    @org.junit.jupiter.api.Test
    void withoutTrustedProxiesForwardingHeadersAreNeverRead() {
        ClientAddresses none = new ClientAddresses(List.of());

        assertThat(none.client("127.0.0.1", List.of("198.51.100.1"), List.of("for=198.51.100.2")))
                .isEqualTo("127.0.0.1");
    }
}
