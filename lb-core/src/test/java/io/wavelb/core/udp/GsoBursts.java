package io.wavelb.core.udp;

import io.netty.util.concurrent.EventExecutor;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.testing.TestConfigs;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Sends bursts of datagrams of one flow through a balancer on 127.0.0.1 to a plain JDK target,
 * holding the balancer's event loops while each burst is sent so that it is read in one batch,
 * and checks that the target gets exactly what was sent: every datagram whole, in order, at its
 * own size, nothing more. Used on plain loopback ({@link UdpGsoSystemTest}) and, as a program, in a
 * network namespace whose loopback MTU refuses large GSO sends ({@link GsoMtuSystemTest}).
 */
final class GsoBursts {

    /** What the balancer counted: datagrams in, datagrams sent in GSO bursts, and drops. */
    record Counts(long datagramsIn, long gsoDatagrams, long upstreamBusy, long unreachable) { }

    private GsoBursts() { }

    /**
     * Runs {@code rounds} bursts of datagrams of the given sizes; throws AssertionError naming the
     * first datagram the target got wrong.
     */
    static Counts run(int[] burstSizes, int rounds) throws Exception {
        try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             LoadBalancer lb = LoadBalancer.start(TestConfigs.udp(List.of("127.0.0.1:" + target.getLocalPort())))) {
            target.setReceiveBufferSize(1 << 20);
            InetSocketAddress vip = lb.address("test");
            // The first datagram opens the session; the bursts follow on it.
            byte[] opening = datagram(0, 10);
            client.send(new DatagramPacket(opening, opening.length, vip));
            check(List.of(opening), receive(target, 1), "opening");
            for (int round = 0; round < rounds; round++) {
                List<byte[]> burst = new ArrayList<>();
                for (int i = 0; i < burstSizes.length; i++) {
                    burst.add(datagram(round * 100 + i + 1, burstSizes[i]));
                }
                try (LoopsHeld held = LoopsHeld.hold(lb)) {
                    for (byte[] d : burst) {
                        client.send(new DatagramPacket(d, d.length, vip));
                    }
                }
                check(burst, receive(target, burst.size()), "round " + round);
            }
            ListenerStats stats = lb.stats("test");
            return new Counts(stats.total(ListenerCounter.DATAGRAMS_RX), stats.total(ListenerCounter.UDP_GSO_DATAGRAMS),
                    stats.total(ListenerCounter.DROPPED_UPSTREAM_BUSY), stats.total(ListenerCounter.CLOSED_TARGET_UNREACHABLE));
        }
    }

    /** Every event loop of the balancer parked on a latch until closed. */
    private record LoopsHeld(CountDownLatch release) implements AutoCloseable {

        static LoopsHeld hold(LoadBalancer lb) throws InterruptedException {
            List<EventExecutor> loops = new ArrayList<>();
            lb.loops().forEach(loops::add);
            CountDownLatch release = new CountDownLatch(1);
            CountDownLatch parked = new CountDownLatch(loops.size());
            for (EventExecutor loop : loops) {
                loop.execute(() -> {
                    parked.countDown();
                    try {
                        release.await(5, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
            }
            if (!parked.await(5, TimeUnit.SECONDS)) {
                throw new AssertionError("the event loops did not take the parking task");
            }
            return new LoopsHeld(release);
        }

        @Override
        public void close() {
            release.countDown();
        }
    }

    private static void check(List<byte[]> sent, List<byte[]> received, String what) {
        for (int i = 0; i < Math.max(sent.size(), received.size()); i++) {
            byte[] s = i < sent.size() ? sent.get(i) : null;
            byte[] r = i < received.size() ? received.get(i) : null;
            if (s == null || r == null || !Arrays.equals(s, r)) {
                throw new AssertionError(what + ", datagram " + i + ": sent " + (s == null ? "nothing" : s.length + " bytes")
                        + ", target got " + (r == null ? "nothing" : r.length + " bytes" + (s != null && r.length == s.length
                        ? " with other content" : "")) + "; sizes sent " + sent.stream().map(b -> b.length).toList()
                        + ", received " + received.stream().map(b -> b.length).toList());
            }
        }
    }

    /** A datagram of {@code size} bytes whose every byte depends on {@code seq}, so no two are alike. */
    private static byte[] datagram(int seq, int size) {
        byte[] b = new byte[size];
        for (int i = 0; i < size; i++) {
            b[i] = (byte) (seq * 31 + i);
        }
        return b;
    }

    /** Up to {@code count} datagrams, then one more if it comes within 100 ms (a cut-up datagram would). */
    private static List<byte[]> receive(DatagramSocket target, int count) throws Exception {
        List<byte[]> got = new ArrayList<>();
        byte[] buffer = new byte[65536];
        target.setSoTimeout(5000);
        try {
            while (got.size() < count) {
                DatagramPacket p = new DatagramPacket(buffer, buffer.length);
                target.receive(p);
                got.add(Arrays.copyOf(p.getData(), p.getLength()));
            }
            target.setSoTimeout(100);
            DatagramPacket extra = new DatagramPacket(buffer, buffer.length);
            target.receive(extra);
            got.add(Arrays.copyOf(extra.getData(), extra.getLength()));
        } catch (SocketTimeoutException e) {
            // all there, or the check names what is missing
        }
        return got;
    }

    /**
     * As a program (run by {@link GsoMtuSystemTest} inside its namespace): runs bursts of
     * {@code args[0]} (sizes, comma-separated) {@code args[1]} times and prints the counts.
     */
    public static void main(String[] args) throws Exception {
        int[] sizes = Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray();
        Counts counts = run(sizes, Integer.parseInt(args[1]));
        System.out.println("GSO-RESULT " + counts);
        System.exit(0);
    }
}
