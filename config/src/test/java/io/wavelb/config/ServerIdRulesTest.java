package io.wavelb.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ServerIdRulesTest {

    private static TargetConfig target(String address, String serverId) {
        return new TargetConfig(HostPort.parse(address), 100,
                serverId == null ? Optional.empty() : Optional.of(HexBytes.parse(serverId)));
    }

    @Test
    void aQuicListenerNeedsEveryTargetToCarryAnIdOfItsLength() {
        List<TargetConfig> targets = List.of(target("10.0.0.1:1", "0x0001"), target("10.0.0.2:1", null),
                target("10.0.0.3:1", "0x000003"));
        assertThat(ServerIdRules.check(targets, ServerIdRules.Readers.quic(2))).containsExactly(
                new ServerIdRules.Missing(1, targets.get(1), 2),
                new ServerIdRules.WrongLength(2, targets.get(2), 2));
    }

    @Test
    void anIdOnTwoAddressesIsReportedAtTheLaterOneWhateverReadsIt() {
        List<TargetConfig> targets = List.of(target("10.0.0.1:1", "0x0001"), target("10.0.0.2:1", "0x0002"),
                target("10.0.0.3:1", "0x0001"));
        for (ServerIdRules.Readers readers : List.of(ServerIdRules.Readers.NONE, ServerIdRules.Readers.quic(2),
                ServerIdRules.Readers.stun())) {
            assertThat(ServerIdRules.check(targets, readers))
                    .containsExactly(new ServerIdRules.Duplicate(2, targets.get(2), targets.get(0)));
        }
    }

    @Test
    void theSameAddressListedAgainWithItsIdIsNoClash() {
        List<TargetConfig> targets = List.of(target("10.0.0.1:1", "0x01"), target("10.0.0.1:1", "0x01"));
        assertThat(ServerIdRules.check(targets, ServerIdRules.Readers.stun())).isEmpty();
    }

    @Test
    void underStunNoIdMayStartAnotherInEitherOrder() {
        List<TargetConfig> targets = List.of(target("10.0.0.1:1", "0x01"), target("10.0.0.2:1", "0x0102"),
                target("10.0.0.3:1", "0x02"), target("10.0.0.4:1", "0x0203"));
        assertThat(ServerIdRules.check(targets, ServerIdRules.Readers.stun())).containsExactly(
                new ServerIdRules.Overlap(1, targets.get(1), targets.get(0)),
                new ServerIdRules.Overlap(3, targets.get(3), targets.get(2)));
        // Prefixes only matter to a stun listener: a quic one matches whole IDs.
        assertThat(ServerIdRules.check(targets, ServerIdRules.Readers.NONE)).isEmpty();
        assertThat(ServerIdRules.properPrefix(HexBytes.parse("0102"), HexBytes.parse("01"))).isTrue();
        assertThat(ServerIdRules.properPrefix(HexBytes.parse("01"), HexBytes.parse("01"))).isFalse();
        assertThat(ServerIdRules.properPrefix(HexBytes.parse("0102"), HexBytes.parse("02"))).isFalse();
    }

    @Test
    void readersAreTheUdpListenersOnTheGroup() throws Exception {
        WavelbConfig config = ConfigLoader.parse("""
                listeners:
                  - name: q
                    protocol: udp
                    listen: 127.0.0.1:7000
                    target_group: g
                    udp:
                      affinity: quic
                      quic_lb:
                        server_id_length: 2
                        nonce_length: 6
                  - name: s
                    protocol: udp
                    listen: 127.0.0.1:7001
                    target_group: g
                    udp:
                      affinity: stun
                  - name: other
                    protocol: udp
                    listen: 127.0.0.1:7002
                    target_group: h
                    udp:
                      affinity: stun
                target_groups:
                  - name: g
                    targets:
                      - address: 127.0.0.1:5001
                        server_id: "0x0001"
                  - name: h
                    targets:
                      - address: 127.0.0.1:5002
                """, "cfg.yaml");
        assertThat(ServerIdRules.Readers.of(config.listeners(), "g")).isEqualTo(new ServerIdRules.Readers(Set.of(2), true));
        assertThat(ServerIdRules.Readers.of(config.listeners(), "h")).isEqualTo(ServerIdRules.Readers.stun());
        assertThat(ServerIdRules.Readers.of(config.listeners(), "none")).isEqualTo(ServerIdRules.Readers.NONE);
    }
}
