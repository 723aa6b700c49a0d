package io.qrrefresher.evolution;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** A stored QR is rendered from its code (whatever image Evolution sent); codes and pairing codes are checked. */
class QrContentTest {

    static final QrContent CONTENT = new QrContent();

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            a real code from Evolution | 2@Ej4buzr3Re65BZmN7yFk6LuXZB07BooYEWk7LmNlSb72,W515uDoHA0oQKEOKrEQc1d50Y+y90blTHo4xPIG0A6s=,Zp5e37XcOZsuQ1aJe+QEyr0JvTBotGqlwZSDOJSR/8g=,XosI3AK/ZNzu60xKwlYmm78xicNE99ZtEVxsET9Qt0s=
            a short one                | 2@table
            """)
    void theImageIsAQrOfTheCode(String label, String code) throws Exception {
        QrContent.Verdict verdict = CONTENT.imageFor(code);

        assertThat(verdict.accepted()).isTrue();
        assertThat(verdict.image()).startsWith(QrContent.PNG_DATA_URL_PREFIX);
        assertThat(QrImagesTest.decode(verdict.image())).isEqualTo(code);
    }

    @org.junit.jupiter.api.Test
    void theLongestCodeAcceptedStillRenders() throws Exception {
        String code = "2@" + "A".repeat(QrContent.MAX_CODE_LENGTH - 2);

        assertThat(QrImagesTest.decode(CONTENT.imageFor(code).image())).isEqualTo(code);
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
        assertThat(CONTENT.imageFor("2@" + "A".repeat(3000)).reason()).isEqualTo("bad_code");
    }
}
