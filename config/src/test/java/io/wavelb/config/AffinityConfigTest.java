package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class AffinityConfigTest {

    /** The protocol issue's own example, as written there. */
    private static final String ISSUE_EXAMPLE = """
            listeners:
              - name: quic
                protocol: udp
                listen: 0.0.0.0:443
                target_group: quic
                udp:
                  affinity: quic           # five_tuple (default) | source_ip | quic | stun
                  quic_lb:
                    config_id: 0           # 0..6, the 3 config-rotation bits
                    server_id_length: 2    # bytes
                    nonce_length: 6        # bytes
                    key: null
            target_groups:
              - name: quic
                targets:
                  - address: 10.0.1.10:443
                    server_id: "0x0001"
            """;

    private static final String QUIC = """
            listeners:
              - name: quic
                protocol: udp
                listen: 127.0.0.1:4433
                target_group: g
                udp:
                  affinity: quic
                  quic_lb:
            %s
            target_groups:
              - name: g
                targets:
            %s
            """;

    private static String quic(String quicLb, String targets) {
        return QUIC.formatted(quicLb.stripIndent().indent(8).stripTrailing(), targets.stripIndent().indent(6).stripTrailing());
    }

    private static final String TWO_TARGETS = """
                  - address: 127.0.0.1:5001
                    server_id: "0x0001"
                  - address: 127.0.0.1:5002
                    server_id: 0x0002""";

    @Test
    void theIssueExampleIsAccepted() throws ConfigException {
        WavelbConfig c = ConfigLoader.parse(ISSUE_EXAMPLE, "c.yaml");
        UdpSettings udp = c.listeners().getFirst().udp();
        assertThat(udp.affinity()).isEqualTo(UdpAffinity.QUIC);
        assertThat(udp.quicLb()).contains(new QuicLbConfig(0, 2, 6, java.util.Optional.empty()));
        assertThat(c.targetGroups().getFirst().targets().getFirst().serverId()).contains(new HexBytes("0001"));
    }

    @Test
    void aKeyAndUnquotedServerIdsAreRead() throws ConfigException {
        WavelbConfig c = ConfigLoader.parse(quic("""
                        server_id_length: 2
                        nonce_length: 14
                        key: 8f95f09245765f80256934e50c66207f""", TWO_TARGETS), "c.yaml");
        QuicLbConfig q = c.listeners().getFirst().udp().quicLb().orElseThrow();
        assertThat(q.key()).contains(new HexBytes("8f95f09245765f80256934e50c66207f"));
        assertThat(q.connectionIdLength()).isEqualTo(17);
        assertThat(c.targetGroups().getFirst().targets().get(1).serverId()).contains(new HexBytes("0002"));
    }

    @Test
    void affinityDefaultsToTheFiveTuple() throws ConfigException {
        WavelbConfig c = ConfigLoader.parse(ISSUE_EXAMPLE.replace("affinity: quic", "affinity: five_tuple")
                .replaceAll("(?ms)^ *quic_lb:.*?key: null\n", ""), "c.yaml");
        assertThat(c.listeners().getFirst().udp().affinity()).isEqualTo(UdpAffinity.FIVE_TUPLE);
    }

    @Test
    void quicWithoutQuicLbIsAProblemAtTheAffinity() {
        assertThatThrownBy(() -> ConfigLoader.parse(ISSUE_EXAMPLE.replaceAll("(?ms)^ *quic_lb:.*?key: null\n", ""), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("c.yaml:7:17: listeners[0].udp.affinity: affinity quic needs a 'quic_lb' section");
    }

    @Test
    void quicLbWithAnotherAffinityIsAProblem() {
        assertThatThrownBy(() -> ConfigLoader.parse(ISSUE_EXAMPLE.replace("affinity: quic", "affinity: stun"), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listeners[0].udp.quic_lb: quic_lb applies only with affinity: quic");
    }

    @Test
    void outOfRangeLengthsAndBadKeysAreEachNamed() {
        assertThatThrownBy(() -> ConfigLoader.parse(quic("""
                        config_id: 7
                        server_id_length: 16
                        nonce_length: 3
                        key: "abcd\"""", TWO_TARGETS), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("listeners[0].udp.quic_lb.config_id: config_id 7 (expected 0..6)")
                .hasMessageContaining("listeners[0].udp.quic_lb.server_id_length: server_id_length 16 (expected 1..15)")
                .hasMessageContaining("listeners[0].udp.quic_lb.nonce_length: nonce_length 3 (expected 4..18)")
                .hasMessageContaining("listeners[0].udp.quic_lb.key: key has 2 bytes (expected 16");
    }

    @Test
    void aConnectionIdLongerThanTwentyBytesIsAProblem() {
        assertThatThrownBy(() -> ConfigLoader.parse(quic("""
                        server_id_length: 2
                        nonce_length: 18""", TWO_TARGETS), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("server_id_length + nonce_length is 20 (at most 19");
    }

    @Test
    void everyTargetNeedsAServerIdOfTheConfiguredLengthAndNoTwoTheSame() {
        String targets = """
                  - address: 127.0.0.1:5001
                    server_id: "0x0001"
                  - address: 127.0.0.1:5002
                  - address: 127.0.0.1:5003
                    server_id: "0x000003"
                  - address: 127.0.0.1:5004
                    server_id: "0x0001\"""";
        assertThatThrownBy(() -> ConfigLoader.parse(quic("""
                        server_id_length: 2
                        nonce_length: 6""", targets), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("target 127.0.0.1:5002 of group 'g' has no server_id")
                .hasMessageContaining("server_id 0x000003 has 3 bytes; listener 'quic' has quic_lb.server_id_length 2")
                .hasMessageContaining("server_id 0x0001 of 127.0.0.1:5004 is also 127.0.0.1:5001's");
    }

    @Test
    void aServerIdThatIsNotHexIsNamed() {
        assertThatThrownBy(() -> ConfigLoader.parse(quic("""
                        server_id_length: 2
                        nonce_length: 6""", """
                  - address: 127.0.0.1:5001
                    server_id: "0xzz01\""""), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("c.yaml:15:20: target_groups[0].targets[0].server_id: '0xzz01' is not a server ID in hex");
    }

    @Test
    void stunServerIdsMayNotBePrefixesOfEachOther() {
        String yaml = """
                listeners:
                  - name: webrtc
                    protocol: udp
                    listen: 127.0.0.1:3478
                    target_group: g
                    udp:
                      affinity: stun
                target_groups:
                  - name: g
                    targets:
                      - address: 127.0.0.1:5001
                        server_id: "0x0a"
                      - address: 127.0.0.1:5002
                        server_id: "0x0a01"
                """;
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("overlap: listener 'webrtc' routes ICE ufrags by server_id prefix");
    }

    @Test
    void proxyProtocolIsReadAndV1IsRefusedOnUdp() throws ConfigException {
        String yaml = """
                listeners:
                  - name: l
                    protocol: %s
                    listen: 127.0.0.1:7000
                    target_group: g
                    proxy_protocol: %s
                target_groups:
                  - name: g
                    targets: []
                """;
        assertThat(ConfigLoader.parse(yaml.formatted("tcp", "v1"), "c.yaml").listeners().getFirst().proxyProtocol())
                .isEqualTo(ProxyProtocol.V1);
        assertThat(ConfigLoader.parse(yaml.formatted("udp", "v2"), "c.yaml").listeners().getFirst().proxyProtocol())
                .isEqualTo(ProxyProtocol.V2);
        assertThatThrownBy(() -> ConfigLoader.parse(yaml.formatted("tcp_udp", "v1"), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("c.yaml:6:21: listeners[0].proxy_protocol: PROXY protocol v1 is text for TCP streams");
        assertThatThrownBy(() -> ConfigLoader.parse(yaml.formatted("tcp", "v3"), "c.yaml"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'v3' is not a PROXY protocol version");
    }
}
