package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.util.ResourceLeakDetector;
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
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.linux.LibC;
import io.wavelb.core.testing.EchoServer;
import java.lang.management.ManagementFactory;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The steady UDP path allocates nothing on the event loop: one established session, request and
 * reply round trips, and the loop thread's allocation counter (HotSpot's TLAB accounting) read
 * around a window of them. Leak detection is off for the measurement (it samples buffers with
 * stack traces; the running balancer turns it off too). The JIT needs time to remove the last
 * short-lived objects (escape analysis), so up to {@link #WINDOWS} windows are measured and the
 * best must be under a byte per datagram. Netty's own listener read, measured the same way, must
 * stay above: the measurement can see what it is there to catch.
 */
@Timeout(180)
class ForwardingAllocationSystemTest {

    private static final int WARM_UP = 20_000;
    private static final int WINDOW = 5_000;
    private static final int WINDOWS = 8;

    private ResourceLeakDetector.Level level;

    @BeforeEach
    void noLeakSampling() {
        assumeTrue(Epoll.isAvailable(), "the batched listener path is epoll's");
        assumeTrue(LibC.unavailable().isEmpty(), () -> "no native calls here: " + LibC.unavailable().orElse(""));
        level = ResourceLeakDetector.getLevel();
        ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
    }

    @AfterEach
    void restore() {
        if (level != null) {
            ResourceLeakDetector.setLevel(level);
        }
        System.clearProperty("wavelb.udp.nativeListener");
    }

    @Test
    void aForwardedIpv4DatagramAllocatesNothing() throws Exception {
        assertThat(bestBytesPerDatagram("127.0.0.1")).isLessThan(1.0);
    }

    @Test
    void aForwardedIpv6DatagramAllocatesNothing() throws Exception {
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0))) {
            // IPv6 loopback is there.
        } catch (SocketException e) {
            assumeTrue(false, "no IPv6 loopback here");
        }
        assertThat(bestBytesPerDatagram("::1")).isLessThan(1.0);
    }

    @Test
    void nettysListenerReadIsSeenAllocating() throws Exception {
        System.setProperty("wavelb.udp.nativeListener", "false");
        assertThat(bestBytesPerDatagram("127.0.0.1")).as("a sender address and an envelope per datagram").isGreaterThan(16.0);
    }

    private static double bestBytesPerDatagram(String host) throws Exception {
        InetAddress loopback = InetAddress.getByName(host);
        // Replies name|payload: a few bytes longer than the request, which changes nothing on the loop.
        try (EchoServer echo = EchoServer.start("e", loopback)) {
            WavelbConfig config = new WavelbConfig(AdminConfig.DEFAULTS, new RuntimeSettings(1, Transport.EPOLL, Duration.ZERO),
                    List.of(new ListenerConfig("alloc", Protocol.UDP, new HostPort(host, 0), "g",
                            UdpSettings.DEFAULTS, TcpSettings.DEFAULTS)),
                    List.of(new TargetGroupConfig("g", Algorithm.MAGLEV,
                            List.of(TargetConfig.of(new HostPort(host, echo.port()))), 65537)));
            try (LoadBalancer lb = LoadBalancer.start(config);
                 DatagramSocket client = new DatagramSocket(new InetSocketAddress(loopback, 0))) {
                client.setSoTimeout(2000);
                DatagramPacket out = new DatagramPacket(new byte[1200], 1200, lb.address("alloc"));
                DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
                roundTrips(client, out, in, WARM_UP);
                com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                long[] loops = Thread.getAllStackTraces().keySet().stream()
                        .filter(t -> t.getName().startsWith("wavelb-loop") && t.isAlive())
                        .mapToLong(Thread::threadId).toArray();
                assertThat(loops).isNotEmpty();
                double best = Double.MAX_VALUE;
                for (int w = 0; w < WINDOWS && best >= 1.0; w++) {
                    long before = allocated(mx, loops);
                    roundTrips(client, out, in, WINDOW);
                    best = Math.min(best, (allocated(mx, loops) - before) / (2.0 * WINDOW));
                }
                return best;
            }
        }
    }

    private static long allocated(com.sun.management.ThreadMXBean mx, long[] threads) {
        long sum = 0;
        for (long a : mx.getThreadAllocatedBytes(threads)) {
            sum += Math.max(0, a);
        }
        return sum;
    }

    /** Request and reply, one at a time; a reply lost on a busy host is sent for again. */
    private static void roundTrips(DatagramSocket client, DatagramPacket out, DatagramPacket in, int n) throws Exception {
        for (int k = 0; k < n; k++) {
            for (int attempt = 0; ; attempt++) {
                client.send(out);
                in.setLength(2048);
                try {
                    client.receive(in);
                    break;
                } catch (java.net.SocketTimeoutException e) {
                    if (attempt == 3) {
                        throw e;
                    }
                }
            }
        }
    }
}
