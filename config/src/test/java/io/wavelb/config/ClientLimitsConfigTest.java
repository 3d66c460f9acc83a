package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Per-client limits: udp.max_sessions_per_client, tcp.max_connections_per_client, client_prefix_v4/v6. */
class ClientLimitsConfigTest {

    private static WavelbConfig parse(String listenerLines) throws ConfigException {
        return ConfigLoader.parse("""
                listeners:
                  - name: edge
                    protocol: tcp_udp
                    listen: 127.0.0.1:8080
                    target_group: g
                %s
                target_groups:
                  - name: g
                    targets:
                      - address: 127.0.0.1:9000
                """.formatted(listenerLines), "c.yaml");
    }

    @Test
    void areReadAndDefaultToNoLimitAndOneClientPerAddress() throws ConfigException {
        ListenerConfig none = parse("").listeners().getFirst();
        assertThat(none.udp().maxSessionsPerClient()).isZero();
        assertThat(none.tcp().maxConnectionsPerClient()).isZero();
        assertThat(none.clientPrefix()).isEqualTo(new ClientPrefix(32, 64));
        ListenerConfig set = parse("""
                    client_prefix_v4: 24
                    client_prefix_v6: 48
                    udp:
                      max_sessions_per_client: 64
                    tcp:
                      max_connections_per_client: 16
                """).listeners().getFirst();
        assertThat(set.udp().maxSessionsPerClient()).isEqualTo(64);
        assertThat(set.tcp().maxConnectionsPerClient()).isEqualTo(16);
        assertThat(set.clientPrefix()).isEqualTo(new ClientPrefix(24, 48));
    }

    @Test
    void newFlowsPerClientTakesARateAndABurstThatDefaultsToTheRate() throws ConfigException {
        assertThat(parse("").listeners().getFirst().newFlowsPerClient()).isEqualTo(NewFlowRate.NONE);
        assertThat(parse("""
                    new_flows_per_client:
                      rate: 20
                """).listeners().getFirst().newFlowsPerClient()).isEqualTo(new NewFlowRate(20, 20));
        assertThat(parse("""
                    new_flows_per_client:
                      rate: 5
                      burst: 50
                """).listeners().getFirst().newFlowsPerClient()).isEqualTo(new NewFlowRate(5, 50));
        assertThatThrownBy(() -> parse("""
                    new_flows_per_client:
                      burst: 50
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("listeners[0].new_flows_per_client")
                .hasMessageContaining("rate");
        assertThatThrownBy(() -> parse("""
                    new_flows_per_client:
                      rate: 5
                      burst: 16001
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("listeners[0].new_flows_per_client.burst");
    }

    @Test
    void outOfRangeValuesNameTheKeyAndPlace() {
        assertThatThrownBy(() -> parse("    client_prefix_v4: 33"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("c.yaml:6:23: listeners[0].client_prefix_v4");
        assertThatThrownBy(() -> parse("    client_prefix_v6: 0"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("listeners[0].client_prefix_v6");
        assertThatThrownBy(() -> parse("""
                    udp:
                      max_sessions_per_client: -1
                """)).isInstanceOf(ConfigException.class).hasMessageContaining("listeners[0].udp.max_sessions_per_client");
    }
}
