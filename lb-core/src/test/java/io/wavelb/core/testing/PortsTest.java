package io.wavelb.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PortsTest {

    @Test
    void picksOutsideTheEphemeralRangeSoNoOutgoingConnectionCanTakeThePort() throws Exception {
        int[] range = Ports.ephemeralRange();
        for (int i = 0; i < 50; i++) {
            int port = Ports.freeTcpAndUdp();
            assertThat(port).isBetween(10_000, 65_535);
            assertThat(port >= range[0] && port <= range[1])
                    .as("port %d inside the ephemeral range %d-%d", port, range[0], range[1]).isFalse();
        }
    }
}
