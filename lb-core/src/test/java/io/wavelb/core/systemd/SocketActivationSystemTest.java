package io.wavelb.core.systemd;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import io.wavelb.core.testing.WavelbProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * wavelb started by the real {@code systemd-socket-activate} (package systemd), which binds the
 * listening sockets, waits for the first datagram or connection, then execs wavelb with them as
 * fd 3 onwards. It cannot mix stream and datagram sockets in one run, hence one run per protocol.
 * Proof that wavelb used the passed socket rather than binding: its log line, the kernel's socket
 * table (one socket on the port, the one wavelb holds as fd 3, though a fresh bind would make one
 * per event loop), and the datagram or connection that woke the activator being served.
 */
@Timeout(120)
class SocketActivationSystemTest {

    private static final Path ACTIVATE = Path.of("/usr/bin/systemd-socket-activate");
    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @TempDir
    Path dir;

    private static String yaml(int admin, String name, String protocol, int port, EchoServer target) {
        return """
                admin:
                  listen: 127.0.0.1:%d
                runtime:
                  event_loops: 2
                listeners:
                  - name: %s
                    protocol: %s
                    listen: 127.0.0.1:%d
                    target_group: echo
                target_groups:
                  - name: echo
                    targets:
                      - address: %s
                """.formatted(admin, name, protocol, port, target.address());
    }

    /** Starts wavelb under the activator and waits until the activator has bound its sockets. */
    private WavelbProcess activate(String yaml, int admin, List<String> activatorArgs, int sockets) throws Exception {
        assertThat(Files.isExecutable(ACTIVATE)).as("%s missing: install the systemd package", ACTIVATE).isTrue();
        List<String> launcher = new ArrayList<>();
        launcher.add(ACTIVATE.toString());
        launcher.addAll(activatorArgs);
        launcher.add("--");
        WavelbProcess w = WavelbProcess.launch(dir, WavelbProcess.Spec.of(yaml, admin)
                .launchedBy(launcher.toArray(String[]::new))
                // What the jar's manifest gives `java -jar` (bin/wavelb); this runs from the class path.
                .jvm("--enable-native-access=ALL-UNNAMED",
                        "-Dio.netty.leakDetection.level=paranoid"));
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (w.log().split("Listening on ", -1).length - 1 < sockets) {
            if (!w.isAlive() || System.nanoTime() > deadline) {
                w.close();
                throw new AssertionError("systemd-socket-activate did not bind its sockets:\n" + w.logTail());
            }
            Thread.sleep(50);
        }
        return w;
    }

    @Test
    void udpListenerServesOnTheDatagramSocketSystemdPassedAndAnUnknownNameIsClosed() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int stray = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        try (EchoServer echo = EchoServer.start("a");
             WavelbProcess w = activate(yaml(admin, "dns", "udp", port, echo), admin,
                     List.of("--datagram", "-l", "127.0.0.1:" + port, "-l", "127.0.0.1:" + stray,
                             "--fdname=dns:nobody"), 2);
             DatagramSocket first = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
            // The datagram that makes the activator start wavelb waits in the socket's queue meanwhile.
            byte[] wake = "wake".getBytes(StandardCharsets.UTF_8);
            first.send(new DatagramPacket(wake, wake.length, new InetSocketAddress(LOOPBACK, port)));
            w.awaitReady();

            first.setSoTimeout(10_000);
            DatagramPacket reply = new DatagramPacket(new byte[64], 64);
            first.receive(reply);
            assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8)).isEqualTo("a|wake");
            try (UdpClient client = new UdpClient(new InetSocketAddress(LOOPBACK, port))) {
                assertThat(client.target("hello", 5000)).isEqualTo("a");
            }

            String log = w.log();
            assertThat(log).contains("listener 'dns' (udp): using the socket systemd passed, fd 3, 127.0.0.1:" + port)
                    .contains("systemd passed fd 4 'nobody' (udp 127.0.0.1:" + stray + "): no listener matches it")
                    .doesNotContain("cannot listen");
            assertThat(socketsOnPort(Path.of("/proc/net/udp"), port, null))
                    .as("the kernel's UDP sockets on the port: the one passed as fd 3, not one per event loop")
                    .containsExactly(inode(w.pid(), 3));
            // Closed, and nobody else held it (the activator exec'd wavelb): the port is free again.
            try (DatagramSocket again = new DatagramSocket(new InetSocketAddress(LOOPBACK, stray))) {
                assertThat(again.getLocalPort()).isEqualTo(stray);
            }
            assertThat(w.stop(Duration.ofSeconds(20))).isZero();
        }
    }

    @Test
    void tcpListenerTakesTheUnnamedSocketOnItsAddressAndTheOtherIsClosed() throws Exception {
        int port = Ports.freeTcpAndUdp();
        int other = Ports.freeTcpAndUdp();
        int admin = Ports.freeTcpAndUdp();
        // No --fdname: LISTEN_FDNAMES is unset, so the sockets go by address.
        try (EchoServer echo = EchoServer.start("a");
             WavelbProcess w = activate(yaml(admin, "web", "tcp", port, echo), admin,
                     List.of("-l", "127.0.0.1:" + port, "-l", "127.0.0.1:" + other), 2);
             Socket first = new Socket()) {
            // Connected from the backlog the kernel keeps while wavelb starts; accepted once it runs.
            first.connect(new InetSocketAddress(LOOPBACK, port), 5000);
            w.awaitReady();

            first.setSoTimeout(10_000);
            first.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            InputStream in = first.getInputStream();
            assertThat(new String(in.readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");

            String log = w.log();
            assertThat(log).contains("listener 'web' (tcp): using the socket systemd passed, fd 3, 127.0.0.1:" + port)
                    .contains("systemd passed fd 4 'unknown' (tcp 127.0.0.1:" + other + "): no listener matches it")
                    .doesNotContain("cannot listen");
            assertThat(socketsOnPort(Path.of("/proc/net/tcp"), port, "0A"))
                    .as("the kernel's listening TCP sockets on the port: the one passed as fd 3")
                    .containsExactly(inode(w.pid(), 3));
            try (ServerSocket again = new ServerSocket()) {
                again.bind(new InetSocketAddress(LOOPBACK, other));
                assertThat(again.getLocalPort()).isEqualTo(other);
            }
            first.close();
            assertThat(w.stop(Duration.ofSeconds(20))).isZero();
        }
    }

    /** The inode of the socket {@code pid} holds as {@code fd} ({@code socket:[N]}). */
    private static String inode(long pid, int fd) throws IOException {
        String link = Files.readSymbolicLink(Path.of("/proc/" + pid + "/fd/" + fd)).toString();
        assertThat(link).startsWith("socket:[");
        return link.substring("socket:[".length(), link.length() - 1);
    }

    /** Inodes of the sockets in a /proc/net table (proc(5)) whose local port is {@code port}, in state {@code st} if given. */
    private static List<String> socketsOnPort(Path table, int port, String st) throws IOException {
        String hexPort = String.format(Locale.ROOT, "%04X", port);
        List<String> inodes = new ArrayList<>();
        for (String line : Files.readAllLines(table).subList(1, Files.readAllLines(table).size())) {
            String[] f = line.trim().split("\\s+");
            if (f[1].endsWith(":" + hexPort) && (st == null || f[3].equals(st))) {
                inodes.add(f[9]);
            }
        }
        return inodes;
    }
}
