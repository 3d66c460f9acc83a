package io.wavelb.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpServer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import io.wavelb.config.HealthCheckConfig;
import io.wavelb.config.Payload;
import io.wavelb.core.health.state.ProbeResult;
import io.wavelb.core.testing.DescriptorNumbers;
import io.wavelb.core.testing.UdpSocketQueue;
import io.wavelb.core.transport.Transport;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Each probe against real servers on loopback. */
@Timeout(30)
class ProberSystemTest {

    private static Transport transport;
    private static EventLoopGroup loops;

    @BeforeAll
    static void start() {
        transport = Transport.select(io.wavelb.config.Transport.AUTO);
        loops = transport.newEventLoopGroup(1);
    }

    @AfterAll
    static void stop() {
        loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private static HealthCheckConfig check(HealthCheckConfig.HealthProtocol p, String send, String expect, String path,
                                           HealthCheckConfig.StatusRange status, Duration timeout) {
        return new HealthCheckConfig(p, 0, send == null ? Payload.EMPTY : Payload.parse(send),
                expect == null ? Payload.EMPTY : Payload.parse(expect), path, status, Duration.ofSeconds(5), timeout, 2, 2);
    }

    private static ProbeResult probe(HealthCheckConfig c, InetSocketAddress at) throws Exception {
        return Prober.of(c, transport).probe(at, loops.next()).get(10, TimeUnit.SECONDS);
    }

    private static int closedPort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void tcpProbeSucceedsOnAListeningPortAndIsRefusedOnAClosedOne() throws Exception {
        HealthCheckConfig c = check(HealthCheckConfig.HealthProtocol.TCP, null, null, "/", HealthCheckConfig.StatusRange.DEFAULT,
                Duration.ofSeconds(2));
        try (ServerSocket s = new ServerSocket(0, 10, InetAddress.getLoopbackAddress())) {
            assertThat(probe(c, (InetSocketAddress) s.getLocalSocketAddress())).isEqualTo(ProbeResult.SUCCESS);
        }
        assertThat(probe(c, new InetSocketAddress("127.0.0.1", closedPort())).tag()).isEqualTo("refused");
    }

    @Test
    void httpProbeChecksPathAndStatus() throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        http.createContext("/", ex -> {
            int code = ex.getRequestURI().getPath().equals("/healthz") ? 200 : 503;
            ex.sendResponseHeaders(code, -1);
            ex.close();
        });
        http.start();
        try {
            InetSocketAddress at = http.getAddress();
            assertThat(probe(check(HealthCheckConfig.HealthProtocol.HTTP, null, null, "/healthz",
                    HealthCheckConfig.StatusRange.DEFAULT, Duration.ofSeconds(2)), at)).isEqualTo(ProbeResult.SUCCESS);
            ProbeResult wrongPath = probe(check(HealthCheckConfig.HealthProtocol.HTTP, null, null, "/other",
                    HealthCheckConfig.StatusRange.DEFAULT, Duration.ofSeconds(2)), at);
            assertThat(wrongPath.tag()).isEqualTo("bad_response");
            assertThat(((ProbeResult.Failure) wrongPath).detail()).contains("status 503");
            assertThat(probe(check(HealthCheckConfig.HealthProtocol.HTTP, null, null, "/other",
                    new HealthCheckConfig.StatusRange(500, 503), Duration.ofSeconds(2)), at)).isEqualTo(ProbeResult.SUCCESS);
        } finally {
            http.stop(0);
        }
    }

    @Test
    void udpProbeMatchesTheReplyPrefix() throws Exception {
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Thread t = Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[100];
                for (int i = 0; i < 2; i++) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        server.receive(p);
                        String in = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                        byte[] out = (in.equals("ping") ? "pong and more" : "nope").getBytes(StandardCharsets.UTF_8);
                        server.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            InetSocketAddress at = (InetSocketAddress) server.getLocalSocketAddress();
            assertThat(probe(check(HealthCheckConfig.HealthProtocol.UDP, "ping", "pong", "/", HealthCheckConfig.StatusRange.DEFAULT,
                    Duration.ofSeconds(2)), at)).isEqualTo(ProbeResult.SUCCESS);
            assertThat(probe(check(HealthCheckConfig.HealthProtocol.UDP, "hex:00ff", "pong", "/", HealthCheckConfig.StatusRange.DEFAULT,
                    Duration.ofSeconds(2)), at).tag()).isEqualTo("bad_response");
            t.join(2000);
            assertThat(probe(check(HealthCheckConfig.HealthProtocol.UDP, "ping", "pong", "/", HealthCheckConfig.StatusRange.DEFAULT,
                    Duration.ofMillis(300)), at).tag()).as("nobody answers any more").isEqualTo("timeout");
        }
    }

    @Test
    void udpProbeToAClosedPortFailsOnIcmpUnreachableNotByItsTimeout() throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            port = s.getLocalPort();
        }
        ProbeResult r = probe(check(HealthCheckConfig.HealthProtocol.UDP, "ping", "pong", "/", HealthCheckConfig.StatusRange.DEFAULT,
                Duration.ofSeconds(20)), new InetSocketAddress("127.0.0.1", port));
        assertThat(r.tag()).as("the ICMP error, not the 20 s timeout").isEqualTo("port_unreachable");
    }

    /**
     * The probe's reply closes its channel from inside Netty's read loop, which for an epoll datagram
     * channel would go on calling recv on that descriptor number. Here the number goes, the moment
     * it is closed, to a copy of another socket with a datagram waiting (as another thread's new
     * socket would take it): that datagram must still be waiting after the probe. Before the fix
     * the loop read it; had that socket been a blocking one, the loop would have hung for good.
     */
    @Test
    void aUdpProbeClosedByItsReplyReadsNothingMoreFromItsDescriptorNumber() throws Exception {
        HealthCheckConfig c = check(HealthCheckConfig.HealthProtocol.UDP, "ping", "pong", "/", HealthCheckConfig.StatusRange.DEFAULT,
                Duration.ofSeconds(5));
        EventLoop loop = loops.next();
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket sender = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            Thread replier = Thread.ofPlatform().daemon().start(() -> {
                byte[] buf = new byte[100];
                while (!server.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        server.receive(p);
                        server.send(new DatagramPacket("pong".getBytes(StandardCharsets.UTF_8), 4, p.getSocketAddress()));
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            Socket other = Socket.newSocketDgram();
            try {
                other.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                InetSocketAddress otherAt = other.localAddress();
                byte[] waiting = "another socket's datagram".getBytes(StandardCharsets.UTF_8);
                sender.send(new DatagramPacket(waiting, waiting.length, otherAt));
                await().atMost(Duration.ofSeconds(10)).until(() -> UdpSocketQueue.of(otherAt).bytes() > 0);

                // Another thread may take the freed number first (this JVM runs other tests): then try again.
                boolean checked = false;
                for (int attempt = 0; attempt < 20 && !checked; attempt++) {
                    int[] numbers = {-1, -1};
                    Prober p = new Prober.Udp(c, () -> {
                        DatagramChannel ch = transport.newDatagramChannel();
                        assumeTrue(ch instanceof UnixChannel, "the hazard is epoll's");
                        int number = ((UnixChannel) ch).fd().intValue();
                        ch.closeFuture().addListener(f -> {
                            numbers[0] = number;
                            numbers[1] = DescriptorNumbers.copyAt(other.intValue(), number);
                        });
                        return ch;
                    });
                    assertThat(p.probe((InetSocketAddress) server.getLocalSocketAddress(), loop).get(10, TimeUnit.SECONDS))
                            .isEqualTo(ProbeResult.SUCCESS);
                    // Queued behind the read loop that closed the channel: it has ended when this runs.
                    loop.submit(() -> { }).get(10, TimeUnit.SECONDS);
                    try {
                        checked = numbers[1] == numbers[0];
                        if (checked) {
                            assertThat(UdpSocketQueue.of(otherAt).bytes())
                                    .as("the datagram waiting on the socket now at the probe's old number").isPositive();
                        }
                    } finally {
                        if (numbers[1] >= 0) {
                            new FileDescriptor(numbers[1]).close();
                        }
                    }
                }
                assertThat(checked).as("the probe's number was free for the copy in one of 20 probes").isTrue();
            } finally {
                other.close();
                server.close();
                replier.join(5000);
            }
        }
    }
}
