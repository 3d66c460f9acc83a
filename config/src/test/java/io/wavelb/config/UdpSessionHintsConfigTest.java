package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class UdpSessionHintsConfigTest {

    private static final String BASE = """
            listeners:
              - name: dns
                protocol: udp
                listen: 127.0.0.1:5353
                target_group: g
                udp:
            %s
            target_groups:
              - name: g
                targets: []
            """;

    @Test
    void sessionEndHintsDefaultToNoLimit() throws ConfigException {
        WavelbConfig c = ConfigLoader.parse(BASE.formatted("      idle_timeout: 5s"), "c.yaml");
        assertThat(c.listeners().getFirst().udp().maxRequests()).isZero();
        assertThat(c.listeners().getFirst().udp().maxResponses()).isZero();
    }

    @Test
    void sessionEndHintsAreRead() throws ConfigException {
        WavelbConfig c = ConfigLoader.parse(BASE.formatted("      max_requests: 2\n      max_responses: 1"), "c.yaml");
        assertThat(c.listeners().getFirst().udp().maxRequests()).isEqualTo(2);
        assertThat(c.listeners().getFirst().udp().maxResponses()).isEqualTo(1);
    }

    @Test
    void aNegativeHintIsAProblemAtItsValue() {
        assertThatThrownBy(() -> ConfigLoader.parse(BASE.formatted("      max_responses: -1"), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("c.yaml:7:22: listeners[0].udp.max_responses:");
    }

    @Test
    void receiveBufferIsReadAndBounded() throws ConfigException {
        assertThat(ConfigLoader.parse(BASE.formatted("      receive_buffer: 4_194_304"), "c.yaml").listeners().getFirst()
                .udp().receiveBuffer()).isEqualTo(4_194_304);
        assertThat(ConfigLoader.parse(BASE.formatted("      idle_timeout: 5s"), "c.yaml").listeners().getFirst()
                .udp().receiveBuffer()).isZero();
        assertThatThrownBy(() -> ConfigLoader.parse(BASE.formatted("      receive_buffer: 1000000000"), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listeners[0].udp.receive_buffer: receive_buffer 1000000000 (expected 0..268435456)");
    }

    @Test
    void sessionReceiveBufferIsReadAndBoundedApartFromTheListeners() throws ConfigException {
        UdpSettings both = ConfigLoader.parse(BASE.formatted("      session_receive_buffer: 2_097_152"), "c.yaml")
                .listeners().getFirst().udp();
        assertThat(both.sessionReceiveBuffer()).isEqualTo(2_097_152);
        assertThat(both.receiveBuffer()).as("the listener sockets' own key").isZero();
        assertThat(ConfigLoader.parse(BASE.formatted("      receive_buffer: 65536"), "c.yaml").listeners().getFirst()
                .udp().sessionReceiveBuffer()).isZero();
        assertThatThrownBy(() -> ConfigLoader.parse(BASE.formatted("      session_receive_buffer: -1"), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("c.yaml:7:31: listeners[0].udp.session_receive_buffer:");
    }
}
