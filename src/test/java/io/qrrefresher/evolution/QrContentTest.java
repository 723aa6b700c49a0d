package io.qrrefresher.evolution;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** Only a PNG data URL within the cap and a pairing code of WhatsApp's characters may be stored. */
class QrContentTest {

    static final QrContent CONTENT = new QrContent(65_536);
    static final String PNG = QrImages.dataUrl("2@table");

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            real QR from Evolution            | PNG          | accepted
            absent: rendered from the code    | NONE         | accepted
            javascript URL                    | javascript:alert(1) | bad_image
            HTML data URL                     | data:text/html;base64,PGI+aGk8L2I+ | bad_image
            SVG with onload                   | SVG          | bad_image
            remote tracking image             | https://t.example.com/p.png | bad_image
            markup instead of base64          | data:image/png;base64,</script> | bad_image
            base64 but not a PNG              | data:image/png;base64,SGVsbG8gd29ybGQh | bad_image
            URL-safe alphabet                 | data:image/png;base64,iVBORw0KGgo_-A== | bad_image
            base64 with a newline             | NEWLINE      | bad_image
            larger than the cap               | HUGE         | bad_image
            """)
    void images(String label, String image, String expected) {
        String base64 = switch (image) {
            case "PNG" -> PNG;
            case "NONE" -> null;
            case "SVG" -> "data:image/svg+xml;base64," + Base64.getEncoder().encodeToString(
                    "<svg onload='alert(1)'/>".getBytes(StandardCharsets.UTF_8));
            case "NEWLINE" -> PNG.substring(0, 60) + "\n" + PNG.substring(60);
            case "HUGE" -> PNG + "A".repeat(70_000);
            default -> image;
        };
        QrContent.Verdict verdict = CONTENT.imageFor("2@table", base64);
        assertThat(verdict.accepted() ? "accepted" : verdict.reason()).isEqualTo(expected);
        if (verdict.accepted()) {
            assertThat(verdict.image()).startsWith(QrContent.PNG_DATA_URL_PREFIX);
        } else {
            assertThat(verdict.problem()).isNotBlank();
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            Evolution's code   | 2@Ej4buzr3Re65BZmN7y+SB/YTPR//cZF6Q0h,W515uDoHA0oQKE=,Zp5e37Xc= | true
            markup             | 2@<script>alert(1)</script>                                      | false
            quotes             | 2@a"b                                                            | false
            spaces             | 2@a b                                                            | false
            """)
    void codes(String label, String code, boolean accepted) {
        assertThat(QrContent.codeProblem(code) == null).isEqualTo(accepted);
    }

    @org.junit.jupiter.api.Test
    void codesAreBoundedInLength() {
        assertThat(QrContent.codeProblem("2@" + "A".repeat(QrContent.MAX_CODE_LENGTH - 2))).isNull();
        assertThat(QrContent.codeProblem("2@" + "A".repeat(3000))).contains("3002 characters");
        assertThat(CONTENT.imageFor("2@" + "A".repeat(3000), null).reason()).isEqualTo("bad_code");
    }
}
