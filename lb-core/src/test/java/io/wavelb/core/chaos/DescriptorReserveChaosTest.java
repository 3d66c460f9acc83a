package io.wavelb.core.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import io.wavelb.core.testing.WavelbProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * UDP sessions (one upstream socket each) use up RLIMIT_NOFILE (prlimit 220). While they hold
 * every descriptor, new admin connections must still be accepted, from the admin endpoint's
 * descriptor reserve: /healthz and /metrics answer, and the log names the cause (EMFILE) instead
 * of Netty's "reached at the tail" warning.
 */
@Tag("chaos")
@Timeout(120)
class DescriptorReserveChaosTest {

    @TempDir
    Path dir;

    @Test
    void healthzAndMetricsAnswerWhileSessionsHoldEveryOtherDescriptor() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        List<UdpClient> clients = new ArrayList<>();
        try (EchoServer echo = EchoServer.start("e");
             WavelbProcess w = WavelbProcess.start(dir, WavelbProcess.Spec.of("""
                     admin:
                       listen: 127.0.0.1:%d
                     runtime:
                       event_loops: 1
                       shutdown_grace_period: %ds
                     listeners:
                       - name: edge
                         protocol: udp
                         listen: 127.0.0.1:%d
                         target_group: g
                         udp:
                           idle_timeout: 60s
                     target_groups:
                       - name: g
                         targets:
                           - address: %s
                     """.formatted(admin, Chaos.GRACE.toSeconds(), port, echo.address()), admin).nofile(220))) {
            InetSocketAddress vip = new InetSocketAddress("127.0.0.1", port);
            int unanswered = 0;
            for (int i = 0; i < 400 && unanswered < 20; i++) {
                UdpClient c = new UdpClient(vip);
                clients.add(c);
                if (c.target("flow-" + i, 300) == null) {
                    unanswered++;
                }
            }
            assertThat(unanswered).as("descriptors ran out").isEqualTo(20);
            for (int i = 0; i < 5; i++) {
                assertThat(get(admin, "/healthz")).as(w.logTail()).startsWith("HTTP/1.1 200");
                assertThat(get(admin, "/metrics")).as(w.logTail()).startsWith("HTTP/1.1 200").contains("wavelb_udp_sessions");
            }
            String log = w.log();
            assertThat(log).contains("admin: cannot accept a connection: ").contains("EMFILE")
                    .doesNotContain("reached at the tail");
            assertThat(w.stop(Chaos.STOP_LIMIT)).as(w.logTail()).isZero();
        } finally {
            clients.forEach(UdpClient::close);
        }
    }

    /** A new connection each time (no pooled one to reuse): each GET needs an accept. */
    private static String get(int port, String path) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "no answer: " + e;
        }
    }
}
