package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import io.wavelb.core.testing.WavelbProcess;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * One upstream socket per UDP session means file descriptors run out before memory. The balancer
 * runs here as its own process under a small RLIMIT_NOFILE (prlimit): new flows over the limit
 * must be counted and dropped, flows already open must keep working, and the balancer must
 * recover once sessions idle out — never crash or stall.
 */
@Timeout(90)
class DescriptorExhaustionSystemTest {

    @TempDir
    Path dir;

    @Test
    void runningOutOfDescriptorsIsACountedDropAndTheBalancerRecovers() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        try (EchoServer echo = EchoServer.start("e")) {
            String yaml = """
                    admin:
                      listen: 127.0.0.1:%d
                    runtime:
                      event_loops: 1
                    listeners:
                      - name: edge
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: g
                        udp:
                          idle_timeout: 2s
                    target_groups:
                      - name: g
                        targets:
                          - address: %s
                    """.formatted(admin, port, echo.address());
            List<UdpClient> clients = new ArrayList<>();
            try (WavelbProcess wavelb = WavelbProcess.start(dir, WavelbProcess.Spec.of(yaml, admin).nofile(220))) {
                InetSocketAddress vip = new InetSocketAddress("127.0.0.1", port);
                UdpClient first = new UdpClient(vip);
                clients.add(first);
                assertThat(first.target("first")).isEqualTo("e");
                int answered = 1;
                int unanswered = 0;
                for (int i = 0; i < 400; i++) {
                    UdpClient c = new UdpClient(vip);
                    clients.add(c);
                    if (c.target("flow-" + i, 300) != null) {
                        answered++;
                    } else {
                        unanswered++;
                    }
                    if (i % 50 == 0) {
                        assertThat(first.target("still-" + i)).as("an open flow keeps working").isEqualTo("e");
                    }
                }
                assertThat(wavelb.isAlive()).isTrue();
                assertThat(answered).as("flows served before descriptors ran out").isGreaterThan(50);
                assertThat(unanswered).as("flows over the descriptor limit").isPositive();
                clients.forEach(UdpClient::close);
                clients.clear();

                // Sessions idle out, descriptors come back, the balancer serves and reports again.
                await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(500))
                        .until(() -> wavelb.metric("wavelb_udp_sessions", "listener=\"edge\"").orElse(-1) == 0);
                assertThat(wavelb.metric("wavelb_dropped_total", "listener=\"edge\"", "reason=\"socket_error\"").orElse(-1))
                        .isEqualTo((double) unanswered);
                try (UdpClient again = new UdpClient(vip)) {
                    assertThat(again.target("after recovery")).isEqualTo("e");
                }
                List<String> log = wavelb.log().lines().toList();
                System.out.println("wavelb log under descriptor exhaustion:\n  " + String.join("\n  ", log));
                assertThat(log).anyMatch(l -> l.contains("cannot open an upstream socket"));
                assertThat(log).as("warnings are rate limited, not one per dropped datagram").hasSizeLessThan(40);
            } finally {
                clients.forEach(UdpClient::close);
            }
        }
    }
}
