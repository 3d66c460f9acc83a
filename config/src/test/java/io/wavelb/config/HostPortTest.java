package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class HostPortTest {

    @Test
    void bracketedIpv6LiteralParsesWithoutTheBrackets() {
        HostPort hp = HostPort.parse("[::1]:7000");

        assertThat(hp).isEqualTo(new HostPort("::1", 7000));
        assertThat(hp.isIpv6Literal()).isTrue();
        assertThat(hp).hasToString("[::1]:7000");
    }

    @Test
    void ipv4LiteralParses() {
        assertThat(HostPort.parse("10.0.0.1:80")).isEqualTo(new HostPort("10.0.0.1", 80));
    }

    @Test
    void hostNameParses() {
        HostPort hp = HostPort.parse("host.example:443");

        assertThat(hp).isEqualTo(new HostPort("host.example", 443));
        assertThat(hp.isIpv6Literal()).isFalse();
        assertThat(hp).hasToString("host.example:443");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            ::1:7000    | '::1:7000': IPv6 addresses need brackets, as in [::1]:7000
            1.2.3.4     | '1.2.3.4': missing port (expected host:port)
            :80         | ':80': missing host (use 0.0.0.0 for every address)
            [::1]       | '[::1]': missing ':port' after ']'
            [::1:7000   | '[::1:7000': missing ']' after IPv6 address
            [1.2.3.4]:80| '[1.2.3.4]:80': '[...]' must hold an IPv6 address
            x:0         | 'x:0': port 0 (expected 1..65535)
            x:65536     | 'x:65536': port 65536 (expected 1..65535)
            x:          | 'x:': port '' is not a number (expected 1..65535)
            x:8o        | 'x:8o': port '8o' is not a number (expected 1..65535)
            """)
    void malformedAddressIsRefusedWithAMessageForTheUser(String text, String message) {
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse(text)).withMessage(message);
    }

    @Test
    void emptyAddressIsRefused() {
        assertThatIllegalArgumentException().isThrownBy(() -> HostPort.parse(""))
                .withMessage("empty address (expected host:port)");
    }
}
