package io.qrrefresher.edge;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** What the gate refuses before any route runs: query strings and instance names. */
class EdgeGateTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            none                                   | -                                                   | -
            a parameter an endpoint reads          | limit=5                                             | -
            two different ones                     | ttl_seconds=60&token=abc                            | -
            a credential posing as a header        | Authorization=Bearer%20secret                       | unknown query parameter 'Authorization'
            lower case makes no difference         | authorization=Bearer%20secret                       | unknown query parameter 'authorization'
            a response header                      | Set-Cookie=pwn%3D1                                  | unknown query parameter 'Set-Cookie'
            CORS header                            | Access-Control-Allow-Origin=https://evil.example    | unknown query parameter 'Access-Control-Allow-Origin'
            a path variable                        | name=bob-inst                                       | unknown query parameter 'name'
            Camel's own headers                    | CamelHttpResponseCode=200                           | unknown query parameter 'CamelHttpResponseCode'
            the same one twice                     | limit=1&limit=2                                     | more than once
            encoded name                           | %41uthorization=x                                   | unknown query parameter 'Authorization'
            broken encoding                        | limit=%zz                                           | not URL-encoded
            """)
    void queryStrings(String label, String query, String problem) {
        String found = EdgeGate.queryProblem(query);
        if (problem == null) {
            assertThat(found).isNull();
        } else {
            assertThat(found).contains(problem);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', nullValues = "-", textBlock = """
            a name                          | /instances/shop-1/qr/stream       | -
            a name with a dot inside        | /instances/shop.main/qr/stream    | -
            encoded space                   | /instances/my%20shop/status       | -
            dot                             | /instances/./viewer-token         | not an instance name
            dot dot                         | /instances/../viewer-token        | not an instance name
            encoded dot dot                 | /instances/%2e%2E/viewer-token    | not an instance name
            encoded slash                   | /instances/a%2Fb/qr/stream        | not an instance name
            encoded backslash               | /instances/a%5Cb/qr/stream        | not an instance name
            not under instances             | /refresh-runs                     | -
            """)
    void instanceNames(String label, String path, String problem) {
        String found = EdgeGate.pathProblem(path);
        if (problem == null) {
            assertThat(found).isNull();
        } else {
            assertThat(found).contains(problem);
        }
    }
}
