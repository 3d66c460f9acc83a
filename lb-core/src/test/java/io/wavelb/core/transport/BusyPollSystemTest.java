package io.wavelb.core.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.TestConfigs;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code runtime.busy_poll}: the loops still forward, and their timers still run (an idle session
 * expires on the sweep's schedule) though they poll between sleeps.
 */
@Timeout(60)
class BusyPollSystemTest {

    @Test
    void forwardsAndStillExpiresIdleSessions() throws Exception {
        assumeTrue(Epoll.isAvailable(), "busy polling is epoll's");
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (EchoServer echo = EchoServer.start("e", loopback)) {
            RuntimeSettings runtime = new RuntimeSettings(1, io.wavelb.config.Transport.EPOLL, Duration.ofSeconds(1), 0,
                    RuntimeSettings.DEFAULT_STATE_DIR, Duration.ZERO, Duration.ofNanos(200_000));
            WavelbConfig config = new WavelbConfig(AdminConfig.DEFAULTS, runtime,
                    List.of(new ListenerConfig("busy", Protocol.UDP, new HostPort("127.0.0.1", 0), "g",
                            TestConfigs.udpSettings(Duration.ofMillis(300), 100, 9216), TcpSettings.DEFAULTS)),
                    List.of(new TargetGroupConfig("g", Algorithm.MAGLEV,
                            List.of(TargetConfig.of(new HostPort("127.0.0.1", echo.port()))), 65537)));
            try (LoadBalancer lb = LoadBalancer.start(config);
                 DatagramSocket client = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
                client.setSoTimeout(2000);
                for (int i = 0; i < 100; i++) {
                    byte[] out = ("ping " + i).getBytes(StandardCharsets.US_ASCII);
                    client.send(new DatagramPacket(out, out.length, lb.address("busy")));
                    DatagramPacket in = new DatagramPacket(new byte[64], 64);
                    client.receive(in);
                    assertThat(new String(in.getData(), 0, in.getLength(), StandardCharsets.US_ASCII)).isEqualTo("e|ping " + i);
                }
                assertThat(lb.listeners().getFirst().activeFlows()).isEqualTo(1);
                await().atMost(Duration.ofSeconds(10))
                        .until(() -> lb.stats("busy").total(ListenerCounter.CLOSED_IDLE) == 1);
                assertThat(lb.listeners().getFirst().activeFlows()).isZero();
            }
        }
    }
}
