package io.qrrefresher.stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.assertj.core.api.Assertions.assertThat;

/** What a person may type as a phone number, and the E.164 digits Evolution gets (empty: refused). */
class PhoneNumbersTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "NULL", value = {
        "+55 11 98765-4321       | 5511987654321",
        "+55 (11) 98765.4321     | 5511987654321",
        "5511987654321           | 5511987654321",
        "0044 7911 123456        | 447911123456",
        "+1 415 555 2671         | 14155552671",
        "'  +491701234567  '     | 491701234567",
        "12345678                | 12345678",
        "123456789012345         | 123456789012345",
        "1234567                 | NULL",
        "1234567890123456        | NULL",
        "+0 11 98765 4321        | NULL",
        "5511987654321&mobile=1  | NULL",
        "55 11 98765 4321 ext 2  | NULL",
        "+55+11987654321         | NULL",
        "٥٥١١٩٨٧٦٥٤٣٢١           | NULL",
        "''                      | NULL",
        "NULL                    | NULL",
    })
    void keepsE164DigitsOnly(String typed, String digits) {
        assertThat(PhoneNumbers.e164Digits(typed)).isEqualTo(digits);
    }

    @ParameterizedTest
    @CsvSource(nullValues = "NULL", value = {"5511987654321, …4321", "123, …", "NULL, …"})
    void logsShowTheLastFourDigitsOnly(String digits, String masked) {
        assertThat(PhoneNumbers.masked(digits)).isEqualTo(masked);
    }
}
