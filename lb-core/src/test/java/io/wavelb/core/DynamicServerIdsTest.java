package io.wavelb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.config.ConfigLoader;
import io.wavelb.config.HexBytes;
import io.wavelb.config.HostPort;
import io.wavelb.core.admin.AdminException;
import io.wavelb.core.admin.AdminOperations.TargetSpec;
import io.wavelb.core.testing.Ports;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Targets fed through the admin API follow the config file's server-ID rules ({@code ServerIdRules}). */
class DynamicServerIdsTest {

    private LoadBalancer lb;

    @AfterEach
    void stop() {
        if (lb != null) {
            lb.close();
        }
    }

    private static TargetSpec target(int port, String serverId) {
        return new TargetSpec(HostPort.parse("127.0.0.1:" + port), 100, Optional.of(HexBytes.parse(serverId)));
    }

    @Test
    void aStunListenerRefusesAFedIdThatOverlapsAnotherLikeTheConfigFileDoes() throws Exception {
        lb = LoadBalancer.start(ConfigLoader.parse("""
                runtime:
                  event_loops: 1
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: webrtc
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: sfu
                    udp:
                      affinity: stun
                target_groups:
                  - name: sfu
                    targets:
                      - address: 127.0.0.1:5001
                        server_id: "0x01"
                """.formatted(Ports.freeTcpAndUdp(), Ports.freeTcpAndUdp()), "stun.yaml"));

        assertThatThrownBy(() -> lb.replaceTargets("sfu", List.of(target(5002, "0x0102"))))
                .isInstanceOf(AdminException.class)
                .hasMessage("targets[0].server_id: 0x0102 of 127.0.0.1:5002 and 0x01 of 127.0.0.1:5001 overlap: "
                        + "a stun listener on group 'sfu' routes ICE ufrags by server_id prefix");
        assertThatThrownBy(() -> lb.replaceTargets("sfu", List.of(target(5002, "0x02"), target(5003, "0x0203"))))
                .hasMessageContaining("targets[1].server_id: 0x0203 of 127.0.0.1:5003 and 0x02 of 127.0.0.1:5002 overlap");
        assertThat(lb.targetGroups().get("sfu").targets()).hasSize(1);

        lb.replaceTargets("sfu", List.of(target(5002, "0x02"), target(5003, "0x03")));
        assertThat(lb.targets().getFirst().targets()).extracting(t -> t.serverId())
                .containsExactly("0x01", "0x02", "0x03");
    }

    @Test
    void withoutAListenerReadingIdsAFedIdStillNamesOneTarget() throws Exception {
        lb = LoadBalancer.start(ConfigLoader.parse("""
                runtime:
                  event_loops: 1
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: plain
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: g
                target_groups:
                  - name: g
                    targets:
                      - address: 127.0.0.1:5001
                        server_id: "0x01"
                """.formatted(Ports.freeTcpAndUdp(), Ports.freeTcpAndUdp()), "plain.yaml"));

        assertThatThrownBy(() -> lb.replaceTargets("g", List.of(target(5002, "0x01"))))
                .hasMessage("targets[0].server_id: 0x01 is also 127.0.0.1:5001's");
        // Prefixes are a stun listener's concern only.
        lb.replaceTargets("g", List.of(target(5002, "0x0102")));
        assertThat(lb.targetGroups().get("g").targets()).hasSize(2);
    }
}
