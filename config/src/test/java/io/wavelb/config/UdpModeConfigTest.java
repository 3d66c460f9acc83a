package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** {@code udp.mode}: per_flow by default, per_packet on request, and not next to what pins a client. */
class UdpModeConfigTest {

    private static UdpSettings udp(String udpLines) throws ConfigException {
        return ConfigLoader.parse("""
                listeners:
                  - name: dns
                    protocol: udp
                    listen: 127.0.0.1:5353
                    target_group: g
                    udp:
                %s
                target_groups:
                  - name: g
                    targets:
                      - address: 127.0.0.1:53
                """.formatted(udpLines), "m.yaml").listeners().getFirst().udp();
    }

    @Test
    void defaultsToPerFlowAndReadsPerPacket() throws ConfigException {
        assertThat(udp("      idle_timeout: 10s").mode()).isEqualTo(UdpMode.PER_FLOW);
        assertThat(udp("      mode: per_flow").perPacket()).isFalse();
        UdpSettings perPacket = udp("""
                      mode: per_packet
                      max_responses: 1
                """);
        assertThat(perPacket.mode()).isEqualTo(UdpMode.PER_PACKET);
        assertThat(perPacket.perPacket()).isTrue();
        assertThat(perPacket.maxResponses()).isEqualTo(1);
        assertThat(udp("""
                      mode: per_packet
                      affinity: five_tuple
                """).perPacket()).isTrue();
    }

    @Test
    void aWrongModeNamesTheKeyThePlaceAndTheChoices() {
        assertThatThrownBy(() -> udp("      mode: per_datagram"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("m.yaml:7:13: listeners[0].udp.mode")
                .hasMessageContaining("per_flow, per_packet");
    }

    @Test
    void perPacketRefusesAffinityAndMaxRequests() {
        assertThatThrownBy(() -> udp("""
                      mode: per_packet
                      affinity: source_ip
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("listeners[0].udp.mode")
                .hasMessageContaining("cannot keep affinity source_ip");
        assertThatThrownBy(() -> udp("""
                      mode: per_packet
                      max_requests: 1
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("listeners[0].udp.mode")
                .hasMessageContaining("max_requests");
    }

    @Test
    void perPacketIsNotForTransparentListeners() {
        assertThatThrownBy(() -> ConfigLoader.parse("""
                listeners:
                  - name: dns
                    protocol: udp
                    listen: 127.0.0.1:5353
                    target_group: g
                    transparent: true
                    udp:
                      mode: per_packet
                target_groups:
                  - name: g
                    targets:
                      - address: 127.0.0.1:53
                """, "t.yaml")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("t.yaml:6:18: listeners[0].transparent")
                .hasMessageContaining("per_packet");
    }
}
