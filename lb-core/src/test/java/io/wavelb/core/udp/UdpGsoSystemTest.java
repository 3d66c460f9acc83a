package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.concurrent.EventExecutor;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.testing.LeakCheckExtension;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Bursts of one flow leave for the target as UDP GSO sends (on epoll), and the target still gets
 * every datagram whole, in order, at its own size: runs of one size are cut back into those
 * datagrams by the kernel, and a lone datagram longer than the socket's segment size is not cut.
 */
@Timeout(60)
@ExtendWith(LeakCheckExtension.class)
class UdpGsoSystemTest {

    /** Runs of one size, lone datagrams longer than the run before them, the 1-byte minimum. */
    private static final int[] BURST = {100, 100, 100, 100, 100, 40, 40, 40, 1000, 1, 1200, 1200, 1200, 1200, 700, 700, 1300};

    @Test
    void burstsArriveWholeInOrderAndAtTheirOwnSizes() throws Exception {
        try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             LoadBalancer lb = LoadBalancer.start(TestConfigs.udp(List.of("127.0.0.1:" + target.getLocalPort())))) {
            target.setReceiveBufferSize(1 << 20);
            target.setSoTimeout(5000);
            InetSocketAddress vip = lb.address("test");
            List<byte[]> sent = new ArrayList<>();
            // The first datagram opens the session; the rest come in bursts.
            send(client, vip, datagram(0, 10), sent);
            assertThat(receive(target, 1)).containsExactly(sent.getFirst());
            int rounds = 20;
            for (int round = 0; round < rounds; round++) {
                List<byte[]> burst = new ArrayList<>();
                // Hold the event loops while the burst is sent, so the balancer reads it in one batch.
                CountDownLatch release = new CountDownLatch(1);
                List<EventExecutor> loops = new ArrayList<>();
                lb.loops().forEach(loops::add);
                CountDownLatch held = new CountDownLatch(loops.size());
                for (EventExecutor loop : loops) {
                    loop.execute(() -> {
                        held.countDown();
                        try {
                            release.await(5, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    });
                }
                assertThat(held.await(5, TimeUnit.SECONDS)).isTrue();
                for (int i = 0; i < BURST.length; i++) {
                    send(client, vip, datagram(round * 100 + i + 1, BURST[i]), burst);
                }
                release.countDown();
                List<byte[]> received = receive(target, burst.size());
                assertThat(received).as("round %d", round).hasSize(burst.size());
                for (int i = 0; i < burst.size(); i++) {
                    assertThat(received.get(i)).as("round %d, datagram %d", round, i).isEqualTo(burst.get(i));
                }
                sent.addAll(burst);
            }
            long coalesced = lb.stats("test").total(ListenerCounter.UDP_GSO_DATAGRAMS);
            // Each burst has five runs of two or more datagrams of one size (14 datagrams in all).
            assertThat(coalesced).as("datagrams sent in GSO bursts").isGreaterThanOrEqualTo(rounds * 14L);
            assertThat(lb.stats("test").total(ListenerCounter.DATAGRAMS_RX)).isEqualTo(sent.size());
            assertThat(lb.stats("test").total(ListenerCounter.DROPPED_UPSTREAM_BUSY)).isZero();
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

    private static void send(DatagramSocket client, InetSocketAddress to, byte[] data, List<byte[]> sent) throws Exception {
        client.send(new DatagramPacket(data, data.length, to));
        sent.add(data);
    }

    private static List<byte[]> receive(DatagramSocket target, int count) throws Exception {
        List<byte[]> got = new ArrayList<>();
        byte[] buffer = new byte[65536];
        try {
            while (got.size() < count) {
                DatagramPacket p = new DatagramPacket(buffer, buffer.length);
                target.receive(p);
                got.add(Arrays.copyOf(p.getData(), p.getLength()));
            }
            // Nothing more may come: a datagram cut in pieces would show up as extra ones.
            target.setSoTimeout(100);
            DatagramPacket extra = new DatagramPacket(buffer, buffer.length);
            target.receive(extra);
            got.add(Arrays.copyOf(extra.getData(), extra.getLength()));
        } catch (SocketTimeoutException e) {
            // expected once all have arrived
        } finally {
            target.setSoTimeout(5000);
        }
        return got;
    }
}
