package io.wavelb.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HealthCheckConfig;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.OutlierDetectionConfig;
import io.wavelb.config.Payload;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.Wavelb;
import io.wavelb.core.health.state.HealthStatus;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.UdpClient;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Active and passive health with the whole process running and real traffic. */
@Timeout(60)
class HealthSystemTest {

    private static WavelbConfig config(Optional<HealthCheckConfig> check, OutlierDetectionConfig outliers, String... targets) {
        return new WavelbConfig(new AdminConfig(new HostPort("127.0.0.1", 0)),
                new RuntimeSettings(2, Transport.AUTO, Duration.ofSeconds(1)),
                List.of(new ListenerConfig("l", Protocol.TCP_UDP, new HostPort("127.0.0.1", 0), "g",
                        UdpSettings.DEFAULTS, TcpSettings.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.MAGLEV,
                        java.util.Arrays.stream(targets).map(t -> TargetConfig.of(HostPort.parse(t))).toList(), 65537,
                        check, outliers, Duration.ofSeconds(30), false)));
    }

    @Test
    void aTargetKilledMidTrafficIsMarkedUnhealthyAndGetsNoNewFlowsWhileOthersStayPut() throws Exception {
        Duration interval = Duration.ofMillis(200);
        Duration timeout = Duration.ofMillis(150);
        int threshold = 2;
        HealthCheckConfig udpCheck = new HealthCheckConfig(HealthCheckConfig.HealthProtocol.UDP, 0, Payload.parse("ping"),
                Payload.EMPTY, "/", HealthCheckConfig.StatusRange.DEFAULT, interval, timeout, threshold, threshold);
        EchoServer a = EchoServer.start("a");
        EchoServer b = EchoServer.start("b");
        EchoServer c = EchoServer.start("c");
        try (b; c; Wavelb w = Wavelb.start(config(Optional.of(udpCheck), OutlierDetectionConfig.DEFAULTS,
                a.address(), b.address(), c.address()), Optional.empty())) {
            TargetGroup g = w.balancer().targetGroups().get("g");
            await().atMost(Duration.ofSeconds(5)).until(() -> g.targets().stream().allMatch(t -> t.health() == HealthStatus.HEALTHY));
            InetSocketAddress vip = w.balancer().address("l");
            Map<UdpClient, String> flows = new HashMap<>();
            List<UdpClient> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 30; i++) {
                    UdpClient u = new UdpClient(vip);
                    clients.add(u);
                    flows.put(u, u.target("hello-" + i));
                }
                assertThat(flows.values()).contains("a", "b", "c");

                a.close();
                Target ta = g.member(a.address());
                // Bounded, not timed: how soon is the benchmarks' business (a busy machine stretches it).
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> ta.health() == HealthStatus.UNHEALTHY);

                for (int i = 0; i < 30; i++) {
                    UdpClient u = new UdpClient(vip);
                    clients.add(u);
                    assertThat(u.target("new-" + i)).as("new flow %d", i).isIn("b", "c");
                }
                for (Map.Entry<UdpClient, String> e : flows.entrySet()) {
                    if (!e.getValue().equals("a")) {
                        assertThat(e.getKey().target("still")).isEqualTo(e.getValue());
                    }
                }
                String metrics = w.metrics().scrape(null).body();
                assertThat(metrics).contains("wavelb_target_healthy{target=\"" + a.address() + "\",target_group=\"g\"} 0.0");
                assertThat(metrics).containsPattern("wavelb_health_checks_total\\{result=\"port_unreachable\",target=\""
                        + java.util.regex.Pattern.quote(a.address()) + "\",target_group=\"g\"} [1-9]");
            } finally {
                clients.forEach(UdpClient::close);
            }
        }
    }

    @Test
    void connectFailuresEjectATargetWithoutAnActiveCheck() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        try (EchoServer live = EchoServer.start("live");
             Wavelb w = Wavelb.start(config(Optional.empty(), new OutlierDetectionConfig(2, Duration.ofSeconds(30), 50),
                     "127.0.0.1:" + dead, live.address()), Optional.empty())) {
            TargetGroup g = w.balancer().targetGroups().get("g");
            Target deadTarget = g.member("127.0.0.1:" + dead);
            for (int i = 0; i < 40 && !deadTarget.ejected(); i++) {
                try (Socket s = new Socket()) {
                    s.connect(w.balancer().address("l"), 2000);
                    s.setSoTimeout(2000);
                    s.getOutputStream().write('x');
                    assertThat(s.getInputStream().read()).as("retried on the live target").isEqualTo('x');
                }
            }
            assertThat(deadTarget.ejected()).isTrue();
            assertThat(deadTarget.state()).isEqualTo("unhealthy");
            assertThat(g.inRotation()).extracting(Target::id).containsExactly(live.address());
        } finally {
            // nothing to close: the dead port was never opened
        }
    }

    @Test
    void aTargetThatKeepsFailingPastTheEjectionCapIsLoggedOncePerIntervalNotPerFlow() throws Exception {
        int dead;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            dead = s.getLocalPort();
        }
        List<String> warnings = java.util.Collections.synchronizedList(new ArrayList<>());
        java.util.logging.Handler capture = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                if (r.getMessage() != null && r.getMessage().contains("keeps failing")) {
                    warnings.add(r.getMessage());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger hooks = java.util.logging.Logger.getLogger(HealthHooks.class.getName());
        hooks.addHandler(capture);
        // One target, max_ejection_percent 0: it can never be ejected, so every failed flow after
        // the first reaches the cap.
        try (Wavelb w = Wavelb.start(config(Optional.empty(), new OutlierDetectionConfig(1, Duration.ofSeconds(30), 0),
                "127.0.0.1:" + dead), Optional.empty())) {
            for (int i = 0; i < 30; i++) {
                try (Socket s = new Socket()) {
                    s.connect(w.balancer().address("l"), 2000);
                    s.setSoTimeout(2000);
                    assertThat(s.getInputStream().read()).as("closed: no target answers").isEqualTo(-1);
                }
            }
            assertThat(warnings).as("30 failed flows, one warning per 10 s").hasSize(1);
        } finally {
            hooks.removeHandler(capture);
        }
    }
}
