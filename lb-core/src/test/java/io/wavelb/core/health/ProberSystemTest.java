package io.wavelb.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.netty.channel.EventLoopGroup;
import io.wavelb.config.HealthCheckConfig;
import io.wavelb.config.Payload;
import io.wavelb.core.health.state.ProbeResult;
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
    void udpProbeToAClosedPortFailsAtOnceOnIcmpUnreachable() throws Exception {
        int port;
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            port = s.getLocalPort();
        }
        long start = System.nanoTime();
        ProbeResult r = probe(check(HealthCheckConfig.HealthProtocol.UDP, "ping", "pong", "/", HealthCheckConfig.StatusRange.DEFAULT,
                Duration.ofSeconds(3)), new InetSocketAddress("127.0.0.1", port));
        assertThat(r.tag()).isEqualTo("port_unreachable");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("well before the 3 s timeout").isLessThan(Duration.ofSeconds(1));
    }
}
