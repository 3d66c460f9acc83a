package io.wavelb.core.udp;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.internal.PlatformDependent;
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
import io.wavelb.core.admin.AdminOperations;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.LeakCheckExtension;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Run as its own JVM by {@link ReceiveAreaResizeSystemTest}, with a direct-memory limit of
 * {@link #LIMIT} bytes for Netty's allocator ({@code -Dio.netty.maxDirectMemory}, what
 * {@code wavelb run} sets to the memory budget) and 64 datagrams per {@code recvmmsg}: a balancer
 * with one loop and {@code max_datagram_size} {@link #OLD_MAX}; memory held elsewhere in the
 * process (a ballast from the same allocator, as other flows' buffers would be) up to 60 % of the
 * budget, below every overload threshold (70 % the first), so only the resize meets the limit; a
 * reload to {@link #NEW_MAX}, whose receive area (64 × 65,508 bytes) does not fit what is left.
 * Then: the failure counted once as {@code no_memory}, datagrams up to the old size still
 * forwarded, a larger one dropped as oversize; the ballast freed, the loop's retry (once a
 * second, no reload) grows the area: the known client's larger datagram goes through but its session's longer
 * reply, cut to the buffer its socket was opened with, is dropped as oversize; a new client's
 * larger datagrams go through both ways. Prints {@code RESIZE-RESULT} and
 * exits 0, or throws naming what was wrong.
 */
final class AreaResizeUnderBudget {

    static final long LIMIT = 8L << 20;
    static final int OLD_MAX = 1200;
    static final int NEW_MAX = 65_507;
    static final int BATCH = 64;

    /** The listener's counters, named in a failure. */
    private static ListenerStats counters;

    private AreaResizeUnderBudget() { }

    public static void main(String[] args) throws Exception {
        assertThat(PlatformDependent.maxDirectMemory()).as("Netty's direct-memory limit").isEqualTo(LIMIT);
        assertThat(PlatformDependent.usedDirectMemory()).as("Netty counts its direct memory").isNotNegative();
        String result;
        try (EchoServer target = EchoServer.start("t");
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             LoadBalancer lb = LoadBalancer.start(config(target, OLD_MAX))) {
            client.setSoTimeout(5000);
            assertThat(lb.memoryBudget()).as("the overload manager's budget is the allocator's limit").isEqualTo(LIMIT);
            ListenerStats stats = lb.stats("test");
            InetSocketAddress vip = lb.address("test");
            counters = stats;
            // The echo target's reply is 2 bytes longer than the request, and must fit the limit too.
            roundTrip(client, vip, 1000, 1);
            roundTrip(client, vip, OLD_MAX - 2, 2);

            long area = (long) BATCH * (NEW_MAX + 1);
            long used = PlatformDependent.usedDirectMemory();
            long ballastBytes = LIMIT * 6 / 10 - used;
            assertThat(ballastBytes).as("room for a ballast (%d bytes used before it)", used).isPositive();
            ByteBuf ballast = ByteBufAllocator.DEFAULT.directBuffer((int) ballastBytes, (int) ballastBytes);
            long room;
            try {
                long withBallast = PlatformDependent.usedDirectMemory();
                room = LIMIT - withBallast;
                assertThat(room).as("what is left under the limit, against the new area of %d bytes", area).isLessThan(area);
                assertThat((double) withBallast / LIMIT).as("memory pressure: below the first overload threshold")
                        .isLessThan(0.70);

                reload(lb, config(target, NEW_MAX));
                assertThat(stats.total(ListenerCounter.DROPPED_NO_MEMORY)).as("no_memory after the reload").isEqualTo(1);
                assertThat(udpListener(lb).receiveAreaDatagramSizes()).as("the old area stays").containsOnly(OLD_MAX);
                // The old area stays: datagrams up to the old size go on, a larger one is oversize for it.
                roundTrip(client, vip, OLD_MAX - 2, 3);
                send(client, vip, 5000, 4);
                awaitCount(() -> stats.total(ListenerCounter.DROPPED_OVERSIZE), 1);
                roundTrip(client, vip, 1000, 5);
                assertThat(stats.total(ListenerCounter.DATAGRAMS_RX)).as("datagrams forwarded").isEqualTo(4);
            } finally {
                ballast.release();
            }

            // Memory back: the loop's retry (once a second) grows the area, no reload needed.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!udpListener(lb).receiveAreaDatagramSizes().equals(List.of(NEW_MAX)) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(udpListener(lb).receiveAreaDatagramSizes()).as("the area grown by the retry").containsOnly(NEW_MAX);
            // The listener now takes the larger datagram from the client it already knew, but that
            // session's upstream socket was opened for replies of the old size: the target's longer
            // reply is cut there, and must be dropped as oversize, not forwarded cut (the next reply
            // the client gets is the one to its next datagram).
            send(client, vip, 5000, 6);
            awaitCount(() -> stats.total(ListenerCounter.DROPPED_OVERSIZE), 2);
            roundTrip(client, vip, 1000, 7);
            // A new flow gets buffers of the new size both ways.
            try (DatagramSocket second = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                second.setSoTimeout(5000);
                roundTrip(second, vip, 5000, 8);
                roundTrip(second, vip, 60_000, 9);
            }
            assertThat(stats.total(ListenerCounter.DROPPED_NO_MEMORY)).as("no_memory: once, not per retry").isEqualTo(1);
            assertThat(stats.total(ListenerCounter.DROPPED_OVERSIZE)).isEqualTo(2);
            result = "RESIZE-RESULT room=" + room + " area=" + area + " noMemory=" + stats.total(ListenerCounter.DROPPED_NO_MEMORY)
                    + " oversize=" + stats.total(ListenerCounter.DROPPED_OVERSIZE)
                    + " forwarded=" + stats.total(ListenerCounter.DATAGRAMS_RX);
        }
        LeakCheckExtension.provokeReports();
        System.out.println(result);
        System.out.flush();
        System.exit(0);
    }

    private static WavelbConfig config(EchoServer target, int maxDatagramSize) {
        UdpSettings udp = new UdpSettings(Duration.ofSeconds(300), 100, maxDatagramSize);
        return new WavelbConfig(AdminConfig.DEFAULTS, new RuntimeSettings(1, Transport.EPOLL, Duration.ofSeconds(2)),
                List.of(new ListenerConfig("test", Protocol.UDP, new HostPort("127.0.0.1", 0), "g", udp, TcpSettings.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.MAGLEV,
                        List.of(TargetConfig.of(HostPort.parse(target.address()))), 65537)));
    }

    /** Applies {@code next}, then waits until every loop has run what the reload handed it (tasks run in order). */
    private static void reload(LoadBalancer lb, WavelbConfig next) throws Exception {
        AdminOperations.ReloadOutcome outcome = lb.apply(next);
        assertThat(outcome).as("reload outcome").isInstanceOf(AdminOperations.Reloaded.class);
        List<io.netty.util.concurrent.Future<?>> done = new ArrayList<>();
        for (EventExecutor loop : lb.loops()) {
            done.add(loop.submit(() -> { }));
        }
        for (io.netty.util.concurrent.Future<?> f : done) {
            assertThat(f.await(5, TimeUnit.SECONDS)).as("loop ran the reload's task").isTrue();
        }
    }

    private static UdpListener udpListener(LoadBalancer lb) {
        return lb.listeners().stream().filter(l -> l instanceof UdpListener).map(l -> (UdpListener) l).findFirst().orElseThrow();
    }

    private static byte[] payload(int size, int seq) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seq * 31 + i);
        }
        return b;
    }

    private static void send(DatagramSocket client, InetSocketAddress vip, int size, int seq) throws Exception {
        byte[] b = payload(size, seq);
        client.send(new DatagramPacket(b, b.length, vip));
    }

    /** Sends {@code size} bytes and expects the echo target's {@code t|} + them back through the balancer. */
    private static void roundTrip(DatagramSocket client, InetSocketAddress vip, int size, int seq) throws Exception {
        send(client, vip, size, seq);
        byte[] buffer = new byte[65536];
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        try {
            client.receive(p);
        } catch (java.net.SocketTimeoutException e) {
            throw new AssertionError("no reply to datagram " + seq + " of " + size + " bytes; counters " + nonZero(), e);
        }
        byte[] expected = new byte[size + 2];
        expected[0] = 't';
        expected[1] = '|';
        System.arraycopy(payload(size, seq), 0, expected, 2, size);
        assertThat(Arrays.equals(Arrays.copyOf(p.getData(), p.getLength()), expected))
                .as("reply to datagram %d of %d bytes (got %d bytes: %s...)", seq, size, p.getLength(),
                        new String(p.getData(), 0, Math.min(8, p.getLength()), US_ASCII))
                .isTrue();
    }

    private static String nonZero() {
        List<String> all = new ArrayList<>();
        for (ListenerCounter c : ListenerCounter.values()) {
            if (counters.total(c) != 0) {
                all.add(c.name().toLowerCase(java.util.Locale.ROOT) + "=" + counters.total(c));
            }
        }
        return all.toString();
    }

    private static void awaitCount(LongSupplier counter, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (int i = 0; i < 5000 && counter.getAsLong() < expected && System.nanoTime() < deadline; i++) {
            Thread.sleep(1);
        }
        assertThat(counter.getAsLong()).as("counters %s", nonZero()).isEqualTo(expected);
    }
}
