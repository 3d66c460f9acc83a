package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoOps;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.testing.UdpSocketQueue;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * One readiness event on the listener socket takes at most {@link ListenerIntake#CALLS_PER_EVENT}
 * receive calls of a batch each and leaves the rest in the socket's queue for the next loop turn, so
 * a flood on the listener cannot keep the loop from its upstream sockets. The test holds the loop,
 * fills the socket's queue with more datagrams than one event may take (checked in the kernel's own
 * count, {@code /proc/net/udp}), then hands the intake one EPOLLIN event on the loop itself and
 * measures what that one event took and what it left queued; the loop's own epoll then takes the rest
 * and the target gets every datagram, in order. Nothing here waits on a clock: every wait is for a
 * condition, bounded.
 */
@Timeout(60)
class IntakeWakeUpBoundSystemTest {

    @Test
    void oneReadinessEventTakesAtMostItsCallsAndLeavesTheRestQueuedForLaterTurns() throws Exception {
        try (OneLoopUdpListener udp = new OneLoopUdpListener(UdpSettings.DEFAULTS)) {
            io.wavelb.core.transport.Transport transport = udp.transport;
            ListenerStats stats = udp.stats;
            UdpLoopHandler handler = udp.listener.loopHandlers().getFirst();
            assertThat(handler.intake()).as("the listener socket read by wavelb's own recvmmsg (epoll)").isNotNull();
            InetSocketAddress vip = udp.vip;

            // The first datagram opens the session; what follows only goes through the intake.
            udp.send("open");
            assertThat(udp.receive()).isEqualTo("open");

            int batch = transport.datagramReceiveBatch();
            int perEvent = ListenerIntake.CALLS_PER_EVENT * batch;
            int total = perEvent + batch + 3;
            CountDownLatch parked = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<long[]> oneEvent = udp.loops.next().submit(() -> {
                parked.countDown();
                if (!release.await(20, TimeUnit.SECONDS)) {
                    throw new AssertionError("the test never released the loop");
                }
                long before = stats.total(ListenerCounter.DATAGRAMS_RX);
                EpollIoEvent readable = () -> EpollIoOps.EPOLLIN;
                handler.intake().handle(null, readable);
                long taken = stats.total(ListenerCounter.DATAGRAMS_RX) - before;
                return new long[] {taken, queue(vip).bytes()};
            });
            assertThat(parked.await(5, TimeUnit.SECONDS)).as("the loop took the holding task").isTrue();

            // With the loop held, the datagrams wait in the socket's queue; one first, to learn what
            // one costs there (the kernel counts the buffer's true size, the same for each of these).
            udp.send(datagram(0));
            long each = awaitQueue(vip, bytes -> bytes > 0);
            for (int i = 1; i < total; i++) {
                udp.send(datagram(i));
            }
            awaitQueue(vip, bytes -> bytes == total * each);
            release.countDown();

            long[] after = oneEvent.get(10, TimeUnit.SECONDS);
            assertThat(after[0]).as("datagrams one readiness event took (%d calls of %d)", ListenerIntake.CALLS_PER_EVENT, batch)
                    .isEqualTo(perEvent);
            assertThat(after[1]).as("bytes left in the socket's queue after that event (%d each)", each)
                    .isEqualTo((total - perEvent) * each);

            // The loop's own readiness events take the rest on later turns; nothing is lost or reordered.
            List<String> got = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                got.add(udp.receive());
            }
            List<String> sent = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                sent.add(datagram(i));
            }
            assertThat(got).isEqualTo(sent);
            assertThat(stats.total(ListenerCounter.DATAGRAMS_RX)).isEqualTo(1 + total);
            assertThat(queue(vip).bytes()).isZero();
            assertThat(queue(vip).drops()).isZero();
        }
    }

    private static String datagram(int seq) {
        return String.format(Locale.ROOT, "datagram-%05d", seq);
    }

    private static UdpSocketQueue queue(InetSocketAddress address) throws Exception {
        return UdpSocketQueue.of(address);
    }

    /** Waits (up to 5 s) until the listener socket's queue bytes satisfy {@code done}; returns them. */
    private static long awaitQueue(InetSocketAddress address, java.util.function.LongPredicate done) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        UdpSocketQueue q = queue(address);
        for (int i = 0; i < 5000 && !done.test(q.bytes()) && System.nanoTime() < deadline; i++) {
            assertThat(q.drops()).as("datagrams the listener socket dropped").isZero();
            Thread.sleep(1);
            q = queue(address);
        }
        assertThat(done.test(q.bytes())).as("listener socket queue reached the expected size; at %s", q).isTrue();
        return q.bytes();
    }
}
