package io.wavelb.core.testing;

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
import java.time.Duration;
import java.util.List;

/** Builds one-listener configs on loopback, port 0 (the bound port is read back from the balancer). */
public final class TestConfigs {

    private TestConfigs() {
    }

    public static WavelbConfig single(Protocol protocol, Algorithm algorithm, UdpSettings udp, TcpSettings tcp,
                                      List<String> targets) {
        return single(protocol, algorithm, udp, tcp, targets, "127.0.0.1");
    }

    public static WavelbConfig single(Protocol protocol, Algorithm algorithm, UdpSettings udp, TcpSettings tcp,
                                      List<String> targets, String listenHost) {
        return single(protocol, algorithm, udp, tcp, targets, listenHost, Transport.AUTO);
    }

    public static WavelbConfig single(Protocol protocol, Algorithm algorithm, UdpSettings udp, TcpSettings tcp,
                                      List<String> targets, String listenHost, Transport transport) {
        return new WavelbConfig(AdminConfig.DEFAULTS,
                new RuntimeSettings(2, transport, Duration.ofSeconds(5)),
                List.of(new ListenerConfig("test", protocol, new HostPort(listenHost, 0), "g", udp, tcp)),
                List.of(new TargetGroupConfig("g", algorithm,
                        targets.stream().map(t -> TargetConfig.of(HostPort.parse(t))).toList(), 65537)));
    }

    public static WavelbConfig udp(List<String> targets) {
        return single(Protocol.UDP, Algorithm.MAGLEV, UdpSettings.DEFAULTS, TcpSettings.DEFAULTS, targets);
    }

    public static WavelbConfig tcp(List<String> targets) {
        return single(Protocol.TCP, Algorithm.MAGLEV, UdpSettings.DEFAULTS, TcpSettings.DEFAULTS, targets);
    }

    public static UdpSettings udpSettings(Duration idle, int maxSessions, int maxDatagram) {
        return new UdpSettings(idle, maxSessions, maxDatagram);
    }
}
