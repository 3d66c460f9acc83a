package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code udp.receive_buffer} reaches every listener socket, at start and on reload. */
class ReceiveBufferSystemTest {

    private static WavelbConfig config(int port, int receiveBuffer) {
        UdpSettings udp = UdpSettings.DEFAULTS.withReceiveBuffer(receiveBuffer);
        return new WavelbConfig(new AdminConfig(new HostPort("127.0.0.1", 0)),
                new RuntimeSettings(2, Transport.AUTO, Duration.ofSeconds(1)),
                List.of(new ListenerConfig("l", Protocol.UDP, new HostPort("127.0.0.1", port), "g", udp, TcpSettings.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.MAGLEV, List.of(TargetConfig.of(new HostPort("127.0.0.1", 9))), 65537)));
    }

    private static List<Integer> sizes(LoadBalancer lb) {
        return lb.listeners().stream().filter(l -> l instanceof UdpListener).map(l -> (UdpListener) l)
                .findFirst().orElseThrow().receiveBufferSizes();
    }

    @Test
    void theConfiguredSizeIsSetOnEverySocketAndChangedByAReload() throws Exception {
        // Both sizes are under the smallest rmem_max a Linux host has (212992), so neither is capped.
        int port = io.wavelb.core.testing.Ports.freeTcpAndUdp();
        try (LoadBalancer lb = LoadBalancer.start(config(port, 150_000))) {
            assertThat(sizes(lb)).isNotEmpty().allSatisfy(s -> assertThat(s).isEqualTo(300_000));
            assertThat(lb.apply(config(port, 40_000))).isInstanceOf(io.wavelb.core.admin.AdminOperations.Reloaded.class);
            assertThat(sizes(lb)).allSatisfy(s -> assertThat(s).isEqualTo(80_000));
        }
    }
}
