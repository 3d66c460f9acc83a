package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ExampleConfigTest {

    @Test
    void exampleFromTheIssueLoadsWithDefaultsFilledIn() throws Exception {
        WavelbConfig config = ConfigLoader.load(Path.of("examples/wavelb.yaml"));

        assertThat(config.admin().listen()).isEqualTo(new HostPort("127.0.0.1", 9901));
        assertThat(config.runtime()).isEqualTo(RuntimeSettings.DEFAULTS);
        assertThat(config.listeners()).hasSize(2);

        ListenerConfig media = config.listeners().get(0);
        assertThat(media.name()).isEqualTo("media");
        assertThat(media.protocol()).isEqualTo(Protocol.UDP);
        assertThat(media.listen()).isEqualTo(new HostPort("0.0.0.0", 7000));
        assertThat(media.targetGroup()).isEqualTo("media");
        assertThat(media.udp()).isEqualTo(new UdpSettings(Duration.ofSeconds(120), 100_000, 9216));

        ListenerConfig control = config.listeners().get(1);
        assertThat(control.protocol()).isEqualTo(Protocol.TCP);
        assertThat(control.listen()).isEqualTo(new HostPort("0.0.0.0", 7443));
        assertThat(control.tcp()).isEqualTo(new TcpSettings(Duration.ofSeconds(350), Duration.ofSeconds(2), 3));

        TargetGroupConfig mediaGroup = config.targetGroup("media").orElseThrow();
        assertThat(mediaGroup.algorithm()).isEqualTo(Algorithm.MAGLEV);
        assertThat(mediaGroup.maglevTableSize()).isEqualTo(65537);
        assertThat(mediaGroup.targets()).containsExactly(
                new TargetConfig(new HostPort("10.0.1.10", 7000), 100),
                new TargetConfig(new HostPort("10.0.1.11", 7000), 100));

        TargetGroupConfig controlGroup = config.targetGroup("control").orElseThrow();
        assertThat(controlGroup.algorithm()).isEqualTo(Algorithm.LEAST_CONNECTIONS);
        assertThat(controlGroup.targets()).containsExactly(TargetConfig.of(new HostPort("10.0.1.10", 8443)));
    }

    @Test
    void localExampleListensOnLoopbackOnlyWithBothProtocols() throws Exception {
        WavelbConfig config = ConfigLoader.load(Path.of("examples/local.yaml"));

        assertThat(config.admin().listen().host()).isEqualTo("127.0.0.1");
        assertThat(config.listeners()).singleElement().satisfies(l -> {
            assertThat(l.protocol()).isEqualTo(Protocol.TCP_UDP);
            assertThat(l.listen()).isEqualTo(new HostPort("127.0.0.1", 7000));
        });
        assertThat(config.targetGroups()).singleElement().satisfies(g -> assertThat(g.targets())
                .extracting(TargetConfig::address)
                .containsExactly(new HostPort("127.0.0.1", 9001), new HostPort("127.0.0.1", 9002),
                        new HostPort("127.0.0.1", 9003)));
    }

    @Test
    void quicExampleRoutesByServerIdAndTellsTheApiTheClientAddress() throws Exception {
        WavelbConfig config = ConfigLoader.load(Path.of("examples/quic-local.yaml"));

        assertThat(config.listeners()).extracting(l -> l.udp().affinity())
                .containsExactly(UdpAffinity.QUIC, UdpAffinity.STUN, UdpAffinity.FIVE_TUPLE);
        assertThat(config.listeners().get(2).proxyProtocol()).isEqualTo(ProxyProtocol.V1);
        assertThat(config.targetGroups().getFirst().targets()).extracting(t -> t.serverId().orElseThrow().hex())
                .containsExactly("0001", "0002", "0003");
    }

    @Test
    void everyOptionalKeyIsReadWhenGiven() throws Exception {
        WavelbConfig config = Yamls.parse("""
                admin:
                  listen: "[::1]:9902"
                runtime:
                  event_loops: 4
                  transport: io_uring
                  shutdown_grace_period: 0s
                listeners:
                  - name: both
                    protocol: tcp_udp
                    listen: 0.0.0.0:7000
                    target_group: g
                    udp:
                      idle_timeout: 250ms
                      max_sessions: 1_000
                      max_datagram_size: 1500
                    tcp:
                      idle_timeout: 5m
                      connect_timeout: 1h
                      connect_attempts: 16
                target_groups:
                  - name: g
                    algorithm: source_ip
                    maglev_table_size: 1009
                    targets:
                      - address: backend.example:7000
                        weight: 1000
                """);

        assertThat(config.admin().listen()).isEqualTo(new HostPort("::1", 9902));
        assertThat(config.runtime()).isEqualTo(new RuntimeSettings(4, Transport.IO_URING, Duration.ZERO));
        ListenerConfig both = config.listeners().get(0);
        assertThat(both.udp()).isEqualTo(new UdpSettings(Duration.ofMillis(250), 1000, 1500));
        assertThat(both.tcp()).isEqualTo(new TcpSettings(Duration.ofMinutes(5), Duration.ofHours(1), 16));
        TargetGroupConfig g = config.targetGroups().get(0);
        assertThat(g.algorithm()).isEqualTo(Algorithm.SOURCE_IP);
        assertThat(g.maglevTableSize()).isEqualTo(1009);
        assertThat(g.targets()).containsExactly(new TargetConfig(new HostPort("backend.example", 7000), 1000));
    }

    @Test
    void targetsMayBeEmptyBecauseTheyCanBeFedLater() throws Exception {
        WavelbConfig config = Yamls.parse(Yamls.validWith("""
                    targets:
                      - address: 10.0.1.10:7000
                """, """
                    targets: []
                """));

        assertThat(config.targetGroup("media").orElseThrow().targets()).isEmpty();
    }

    @Test
    void textValuesAreTakenAsWrittenEvenWhereYaml11WouldReadANumberOrBoolean() throws Exception {
        WavelbConfig config = Yamls.parse(Yamls.VALID
                .replace("name: media\n    protocol", "name: 123\n    protocol")
                .replace("name: control\n    protocol", "name: on\n    protocol"));

        assertThat(config.listeners()).extracting(ListenerConfig::name).containsExactly("123", "on");
    }

    @Test
    void emptySectionsMeanDefaults() throws Exception {
        WavelbConfig config = Yamls.parse(Yamls.validWith("""
                    udp:
                      idle_timeout: 120s
                """, """
                    udp:
                """));

        assertThat(config.listeners().get(0).udp()).isEqualTo(UdpSettings.DEFAULTS);
    }
}
