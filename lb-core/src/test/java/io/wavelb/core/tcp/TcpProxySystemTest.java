package io.wavelb.core.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.config.Algorithm;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.target.Target;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.WithThreeEchoTargets;
import io.wavelb.core.testing.TestConfigs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** TCP through a real balancer on loopback to real echo servers. */
@Timeout(90)
class TcpProxySystemTest extends WithThreeEchoTargets {

    private static int deadPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Writes {@code data} and reads the same number of bytes back, concurrently, then half-closes. */
    private static byte[] echoThrough(InetSocketAddress vip, byte[] data) throws Exception {
        try (Socket s = new Socket()) {
            s.connect(vip, 5000);
            s.setSoTimeout(20_000);
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    OutputStream out = s.getOutputStream();
                    for (int off = 0; off < data.length; off += 4096) {
                        out.write(data, off, Math.min(4096, data.length - off));
                    }
                    out.flush();
                    s.shutdownOutput();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            InputStream in = s.getInputStream();
            byte[] back = in.readAllBytes();
            writer.join();
            return back;
        }
    }

    @Test
    void twoHundredConnectionsEachEcho64KiBIntact() throws Exception {
        lb = LoadBalancer.start(TestConfigs.tcp(List.of(a.address(), b.address(), c.address())));
        InetSocketAddress vip = lb.address("test");
        List<Future<Boolean>> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < 200; i++) {
                int seed = i;
                results.add(pool.submit(() -> {
                    byte[] data = new byte[64 * 1024];
                    new Random(seed).nextBytes(data);
                    return Arrays.equals(echoThrough(vip, data), data);
                }));
            }
            for (Future<Boolean> r : results) {
                assertThat(r.get(60, TimeUnit.SECONDS)).isTrue();
            }
        }
        assertThat(lb.stats("test").total(ListenerCounter.TCP_ACCEPTED)).isEqualTo(200);
        assertThat(lb.stats("test").total(ListenerCounter.BYTES_RX)).isEqualTo(200L * 64 * 1024);
        assertThat(lb.stats("test").total(ListenerCounter.BYTES_TX)).isEqualTo(200L * 64 * 1024);
        assertThat(a.tcpAccepted() + b.tcpAccepted() + c.tcpAccepted()).isEqualTo(200);
        assertThat(List.of(a.tcpAccepted(), b.tcpAccepted(), c.tcpAccepted())).allMatch(n -> n > 30);
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.listeners().getFirst().activeFlows() == 0);
        assertThat(lb.targetGroups().get("g").targets()).allMatch(t -> t.activeFlows() == 0);
    }

    @Test
    void deadTargetIsRetriedOnTheNextTarget() throws Exception {
        lb = LoadBalancer.start(TestConfigs.tcp(List.of("127.0.0.1:" + deadPort(), a.address(), b.address())));
        InetSocketAddress vip = lb.address("test");
        for (int i = 0; i < 40; i++) {
            byte[] data = ("hello " + i).getBytes(StandardCharsets.UTF_8);
            assertThat(echoThrough(vip, data)).isEqualTo(data);
        }
        assertThat(lb.stats("test").total(ListenerCounter.TCP_CONNECT_FAILURES))
                .as("some of 40 flows first picked the dead target").isPositive();
        assertThat(a.tcpAccepted() + b.tcpAccepted()).isEqualTo(40);
    }

    @Test
    void whenEveryTargetIsDeadTheClientIsClosedAfterTheConfiguredAttempts() throws Exception {
        lb = LoadBalancer.start(TestConfigs.single(Protocol.TCP, Algorithm.MAGLEV, UdpSettings.DEFAULTS,
                new TcpSettings(Duration.ofSeconds(60), Duration.ofSeconds(1), 2),
                List.of("127.0.0.1:" + deadPort(), "127.0.0.1:" + deadPort(), "127.0.0.1:" + deadPort())));
        try (Socket s = new Socket()) {
            s.connect(lb.address("test"), 5000);
            s.setSoTimeout(10_000);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
        assertThat(lb.stats("test").total(ListenerCounter.TCP_CONNECT_FAILURES)).isEqualTo(2);
        assertThat(lb.stats("test").total(ListenerCounter.TCP_NO_TARGET)).isZero();
        await().atMost(Duration.ofSeconds(5)).until(() -> lb.listeners().getFirst().activeFlows() == 0);
        assertThat(lb.targetGroups().get("g").targets()).allMatch(t -> t.activeFlows() == 0);
    }

    /**
     * A target whose accept queue is full drops SYNs (Linux, tcp_abort_on_overflow 0): the connect
     * neither completes nor fails, and tcp.connect_timeout ends it, on both relays (epoll: native,
     * NIO: channels). Counted as a connect failure, the client closed, nothing left counted.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"EPOLL", "NIO"})
    void aConnectThatNeverCompletesEndsAtTheConnectTimeout(String transport) throws Exception {
        try (ServerSocket full = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            List<Socket> queued = new ArrayList<>();
            try {
                // Backlog 1 holds two completed connections; more never finish their handshake.
                for (int i = 0; i < 3; i++) {
                    Socket q = new Socket();
                    queued.add(q);
                    try {
                        q.connect(full.getLocalSocketAddress(), 300);
                    } catch (IOException timedOut) {
                        // the queue is full already
                    }
                }
                lb = LoadBalancer.start(TestConfigs.single(Protocol.TCP, Algorithm.MAGLEV, UdpSettings.DEFAULTS,
                        new TcpSettings(Duration.ofSeconds(60), Duration.ofMillis(500), 1),
                        List.of("127.0.0.1:" + full.getLocalPort()), "127.0.0.1", io.wavelb.config.Transport.valueOf(transport)));
                assertThat(((TcpListener) lb.listeners().getFirst()).nativeRelay()).as("the native relay, on epoll only")
                        .isEqualTo(transport.equals("EPOLL"));
                try (Socket s = new Socket()) {
                    s.connect(lb.address("test"), 5000);
                    s.setSoTimeout(10_000);
                    assertThat(s.getInputStream().read()).as("the client closed once the connect timed out").isEqualTo(-1);
                }
                assertThat(lb.stats("test").total(ListenerCounter.TCP_CONNECT_FAILURES)).isEqualTo(1);
                await().atMost(Duration.ofSeconds(5)).until(() -> lb.listeners().getFirst().activeFlows() == 0);
                assertThat(lb.targetGroups().get("g").targets()).allMatch(t -> t.activeFlows() == 0);
                assertThat(lb.stats("test").tcpTargetSockets().get()).as("target sockets counted").isZero();
            } finally {
                for (Socket q : queued) {
                    q.close();
                }
            }
        }
    }

    @Test
    void idleConnectionIsClosed() throws Exception {
        lb = LoadBalancer.start(TestConfigs.single(Protocol.TCP, Algorithm.MAGLEV, UdpSettings.DEFAULTS,
                new TcpSettings(Duration.ofMillis(500), Duration.ofSeconds(2), 3), List.of(a.address())));
        try (Socket s = new Socket()) {
            s.connect(lb.address("test"), 5000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("ping".getBytes(StandardCharsets.UTF_8));
            assertThat(s.getInputStream().readNBytes(4)).isEqualTo("ping".getBytes(StandardCharsets.UTF_8));
            long start = System.nanoTime();
            assertThat(s.getInputStream().read()).isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));
        }
        assertThat(lb.stats("test").total(ListenerCounter.TCP_CLOSED_IDLE)).isEqualTo(1);
    }

    @Test
    void halfCloseIsPassedOnAndTheResponseStillArrives() throws Exception {
        lb = LoadBalancer.start(TestConfigs.tcp(List.of(a.address())));
        byte[] request = "request-then-FIN".getBytes(StandardCharsets.UTF_8);
        // The echo target answers only what it read before the FIN, then closes: the reply can
        // only arrive if the FIN went through and the other direction stayed open.
        assertThat(echoThrough(lb.address("test"), request)).isEqualTo(request);
    }

    @Test
    void leastConnectionsSendsNewConnectionsToTheLeastLoadedTarget() throws Exception {
        lb = LoadBalancer.start(TestConfigs.single(Protocol.TCP, Algorithm.LEAST_CONNECTIONS, UdpSettings.DEFAULTS,
                TcpSettings.DEFAULTS, List.of(a.address(), b.address())));
        InetSocketAddress vip = lb.address("test");
        List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < 10; i++) {
                Socket s = new Socket();
                s.connect(vip, 5000);
                s.getOutputStream().write('x');
                s.setSoTimeout(5000);
                assertThat(s.getInputStream().read()).isEqualTo('x');
                open.add(s);
            }
            assertThat(lb.targetGroups().get("g").targets()).extracting(Target::activeFlows).containsExactly(5, 5);
        } finally {
            for (Socket s : open) {
                s.close();
            }
        }
    }

    @Test
    void tcpAndUdpShareOnePortOnATcpUdpListener() throws Exception {
        lb = LoadBalancer.start(TestConfigs.single(Protocol.TCP_UDP, Algorithm.MAGLEV, UdpSettings.DEFAULTS,
                TcpSettings.DEFAULTS, List.of(a.address())));
        InetSocketAddress vip = lb.address("test");
        byte[] data = "over tcp".getBytes(StandardCharsets.UTF_8);
        assertThat(echoThrough(vip, data)).isEqualTo(data);
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            byte[] out = "over udp".getBytes(StandardCharsets.UTF_8);
            client.send(new DatagramPacket(out, out.length, vip));
            client.setSoTimeout(2000);
            DatagramPacket reply = new DatagramPacket(new byte[100], 100);
            client.receive(reply);
            assertThat(new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8)).isEqualTo("a|over udp");
        }
    }
}
