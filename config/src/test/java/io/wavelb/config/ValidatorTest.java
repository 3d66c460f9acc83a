package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValidatorTest {

    @ParameterizedTest(name = "{0} vs {1}: {2}")
    @CsvSource({
            "0.0.0.0:7000,   0.0.0.0:7000,   true",
            "0.0.0.0:7000,   0.0.0.0:7001,   false",
            "0.0.0.0:7000,   10.0.0.1:7000,  true",
            "10.0.0.1:7000,  0.0.0.0:7000,   true",
            "10.0.0.1:7000,  10.0.0.2:7000,  false",
            "0.0.0.0:7000,   [::1]:7000,     false",
            "[::]:7000,      10.0.0.1:7000,  true",
            "[::1]:7000,     [::]:7000,      true",
            "Host.Example:1, host.example:1, true",
    })
    void listenAddressesOverlapWhenBindingBothWouldFail(String a, String b, boolean overlap) {
        assertThat(Validator.addressesOverlap(HostPort.parse(a), HostPort.parse(b))).isEqualTo(overlap);
    }

    @ParameterizedTest(name = "{0} vs {1}: {2}")
    @CsvSource({
            "UDP, UDP, true", "UDP, TCP, false", "TCP, TCP, true",
            "TCP_UDP, UDP, true", "TCP_UDP, TCP, true", "TCP, TCP_UDP, true",
    })
    void protocolsOverlapWhenTheyShareATransport(Protocol a, Protocol b, boolean overlap) {
        assertThat(Validator.protocolsOverlap(a, b)).isEqualTo(overlap);
    }
}
