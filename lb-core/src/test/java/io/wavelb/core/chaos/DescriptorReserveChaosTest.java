package io.wavelb.core.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import io.wavelb.core.testing.WavelbProcess;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
             WavelbProcess w = startUdp(admin, port, echo, "")) {
            holdEveryDescriptor(new InetSocketAddress("127.0.0.1", port), clients);
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

    /**
     * The same exhaustion with a TCP listener beside the UDP one: a client's connection waits in
     * the backlog while every accept fails with EMFILE (counted, said, accepting paused a second at
     * a time), and is accepted and relayed once the sessions' idle timeout has given descriptors
     * back. Without the pause's end re-arming the poll, the connection would never be accepted; a
     * connection accepted while its target socket gets no descriptor is closed at once (it hung,
     * with the target blamed for it) and the client tries again.
     */
    @ParameterizedTest(name = "{0} relay")
    @ValueSource(strings = {"native", "channel"})
    void aTcpConnectionWaitsOutFailedAcceptsAndIsRelayedOnceDescriptorsAreBack(String relay) throws Exception {
        int udpPort = Ports.freeTcpAndUdp();
        int tcpPort = Ports.freeTcpAndUdp();
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
                       - name: flows
                         protocol: udp
                         listen: 127.0.0.1:%d
                         target_group: g
                         udp:
                           idle_timeout: 10s
                       - name: stream
                         protocol: tcp
                         listen: 127.0.0.1:%d
                         target_group: g
                     target_groups:
                       - name: g
                         targets:
                           - address: %s
                     """.formatted(admin, Chaos.GRACE.toSeconds(), udpPort, tcpPort, echo.address()), admin)
                     .nofile(220).jvm("-Dwavelb.tcp.nativeRelay=" + relay.equals("native")))) {
            holdEveryDescriptor(new InetSocketAddress("127.0.0.1", udpPort), clients);
            // The kernel completes the handshake from the backlog; wavelb's accept is what fails.
            // An accept that gets a descriptor while the target socket gets none closes the client
            // at once (socket_error): it then tries again. No connection may hang.
            String reply = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            for (int attempt = 0; reply == null && System.nanoTime() < deadline; attempt++) {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", tcpPort), 5000);
                    s.setSoTimeout(30_000);
                    s.getOutputStream().write("waited\n".getBytes(StandardCharsets.US_ASCII));
                    if (attempt == 0) {
                        // From the log, not /metrics: an admin connection would take the descriptor
                        // its reserve frees.
                        await().atMost(Duration.ofSeconds(20)).until(() ->
                                w.log().contains("listener 'stream' (tcp): cannot accept a connection: "));
                    }
                    byte[] got = s.getInputStream().readNBytes(7);
                    if (got.length == 7) {
                        reply = new String(got, StandardCharsets.US_ASCII);
                    } else {
                        Thread.sleep(500);
                    }
                } catch (SocketTimeoutException e) {
                    throw new AssertionError("a connection hung for 30 s: " + w.logTail(), e);
                } catch (SocketException reset) {
                    // Closed with our line unread: the kernel resets it. As prompt as an EOF.
                    Thread.sleep(500);
                }
            }
            assertThat(reply).as(w.logTail()).isEqualTo("waited\n");
            assertThat(w.log().lines().filter(l -> l.contains("listener 'stream' (tcp): cannot accept a connection: ")).findFirst())
                    .hasValueSatisfying(l -> assertThat(l).contains("EMFILE"));
            assertThat(w.metric("wavelb_tcp_connect_failures_total", "listener=\"stream\"").orElse(-1))
                    .as("a missing descriptor is not the target's connect failure").isZero();
            assertThat(w.metric("wavelb_tcp_accept_failures_total", "listener=\"stream\"").orElse(0))
                    .as("failed accepts are counted").isGreaterThanOrEqualTo(1);
            assertThat(w.metric("wavelb_tcp_connections_accepted_total", "listener=\"stream\"").orElse(0))
                    .isGreaterThanOrEqualTo(1);
            assertThat(w.stop(Chaos.STOP_LIMIT)).as(w.logTail()).isZero();
        } finally {
            clients.forEach(UdpClient::close);
        }
    }

    /**
     * Active health checks while the sessions hold every descriptor: a probe that gets no socket
     * says nothing of its target. Counted as {@code no_socket}; the target stays healthy and its
     * sessions go on (before, two such probes ejected a healthy target: every flow would have
     * moved, or fallen back to fail-open, for a shortage of this host's).
     */
    @Test
    void healthChecksWithoutADescriptorLeaveTheTargetHealthy() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        List<UdpClient> clients = new ArrayList<>();
        try (EchoServer echo = EchoServer.start("e");
             WavelbProcess w = startUdp(admin, port, echo, """
                     health_check:
                       protocol: tcp
                       interval: 200ms
                       timeout: 100ms
                       unhealthy_threshold: 2
                     """)) {
            await().atMost(Duration.ofSeconds(20)).until(() ->
                    w.metric("wavelb_target_healthy", "target_group=\"g\"").orElse(0) == 1);
            holdEveryDescriptor(new InetSocketAddress("127.0.0.1", port), clients);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() ->
                    w.metric("wavelb_health_checks_total", "target_group=\"g\"", "result=\"no_socket\"").orElse(0) >= 5);
            assertThat(w.log()).as(w.logTail()).doesNotContain("is unhealthy");
            assertThat(w.metric("wavelb_target_healthy", "target_group=\"g\"").orElse(-1)).isEqualTo(1);
            assertThat(w.metric("wavelb_health_checks_total", "target_group=\"g\"", "result=\"error\"").orElse(0)).isZero();
            // A session opened before the shortage still reaches its target.
            assertThat(clients.get(0).target("flow-0", 2000)).isEqualTo("e");
            assertThat(w.stop(Chaos.STOP_LIMIT)).as(w.logTail()).isZero();
        } finally {
            clients.forEach(UdpClient::close);
        }
    }

    /**
     * wavelb at 220 descriptors with one UDP listener (sessions idle for 60 s) to {@code echo};
     * {@code groupKeys}, YAML at the target group's indentation, adds to the group.
     */
    private WavelbProcess startUdp(int admin, int port, EchoServer echo, String groupKeys) throws Exception {
        return WavelbProcess.start(dir, WavelbProcess.Spec.of("""
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
                %s    targets:
                      - address: %s
                """.formatted(admin, Chaos.GRACE.toSeconds(), port, groupKeys.indent(4), echo.address()), admin).nofile(220));
    }

    /**
     * New UDP flows through {@code vip}, one session (and upstream socket) each, until 20 go
     * unanswered: wavelb has no descriptor left for another. The clients go to {@code clients}.
     */
    private static void holdEveryDescriptor(InetSocketAddress vip, List<UdpClient> clients) throws IOException {
        int unanswered = 0;
        for (int i = 0; i < 400 && unanswered < 20; i++) {
            UdpClient c = new UdpClient(vip);
            clients.add(c);
            if (c.target("flow-" + i, 300) == null) {
                unanswered++;
            }
        }
        assertThat(unanswered).as("descriptors ran out").isEqualTo(20);
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
