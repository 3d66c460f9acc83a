package io.wavelb.core.udp;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoopGroup;
import io.wavelb.config.Algorithm;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.metrics.WavelbMetrics;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.testing.TestConfigs;
import io.wavelb.core.testing.UdpSocketQueue;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The datagrams the kernel drops on a UDP listener's socket before wavelb reads them are counted,
 * from the socket's own count, and scraped as {@code wavelb_udp_receive_drops_total}: the test holds
 * the loop, overfills a small receive queue, and checks the count against the kernel's line in
 * {@code /proc/net/udp6} and against what was sent and forwarded. Nothing waits on a clock: a
 * send on loopback has queued or dropped its datagram by the time it returns.
 */
@Timeout(60)
class ListenerKernelDropsSystemTest {

    private static final int SENT = 200;

    private EventLoopGroup loops;
    private UdpListener listener;

    @AfterEach
    void stop() throws Exception {
        if (listener != null) {
            listener.closeFlows().toCompletableFuture().get(5, TimeUnit.SECONDS);
        }
        if (loops != null) {
            loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
        }
    }

    @Test
    void whatTheKernelDropsOnTheListenerSocketIsCountedAndScraped() throws Exception {
        try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            target.setReceiveBufferSize(1 << 20);
            target.setSoTimeout(5000);
            // 2,048 bytes (4 KiB once the kernel doubles it): a handful of datagrams.
            WavelbConfig config = TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV, UdpSettings.DEFAULTS.withReceiveBuffer(2048),
                    TcpSettings.DEFAULTS, List.of("127.0.0.1:" + target.getLocalPort()), "127.0.0.1", Transport.EPOLL);
            ListenerConfig l = config.listeners().getFirst();
            io.wavelb.core.transport.Transport transport = io.wavelb.core.transport.Transport.select(Transport.EPOLL);
            ListenerStats stats = new ListenerStats(l.name());
            loops = transport.newEventLoopGroup(1);
            listener = new UdpListener(l, TargetGroup.create(config.targetGroups().getFirst()), transport, stats);
            listener.bind(loops, new InetSocketAddress("127.0.0.1", 0));
            InetSocketAddress vip = listener.localAddress();
            WavelbMetrics metrics = new WavelbMetrics();
            metrics.addListener(stats, "udp", () -> 0);

            send(client, vip, "open");
            assertThat(receive(target)).isEqualTo("open");
            assertThat(stats.kernelDrops()).isZero();
            assertThat(scraped(metrics, l.name())).isZero();

            CountDownLatch parked = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            Future<?> held = loops.next().submit(() -> {
                parked.countDown();
                return release.await(20, TimeUnit.SECONDS);
            });
            assertThat(parked.await(5, TimeUnit.SECONDS)).as("the loop took the holding task").isTrue();
            for (int i = 0; i < SENT; i++) {
                send(client, vip, "datagram-" + i);
            }
            long kernel = UdpSocketQueue.of(vip).drops();
            assertThat(kernel).as("datagrams the kernel dropped with the loop held").isPositive();
            assertThat(stats.kernelDrops()).isEqualTo(kernel);
            assertThat(scraped(metrics, l.name())).isEqualTo(kernel);
            release.countDown();
            held.get(5, TimeUnit.SECONDS);

            // What was not dropped is forwarded once the loop runs again: together, everything sent.
            long forwarded = 1 + SENT - kernel;
            for (long got = 1; got < forwarded; got++) {
                receive(target);
            }
            assertThat(stats.total(ListenerCounter.DATAGRAMS_RX) + stats.kernelDrops()).isEqualTo(1 + SENT);
        }
    }

    private static long scraped(WavelbMetrics metrics, String listener) {
        String body = metrics.scrape(null).body();
        Matcher m = Pattern.compile("(?m)^wavelb_udp_receive_drops_total\\{listener=\"" + Pattern.quote(listener)
                + "\"} (\\S+)$").matcher(body);
        assertThat(m.find()).as("wavelb_udp_receive_drops_total in the scrape").isTrue();
        return (long) Double.parseDouble(m.group(1));
    }

    private static void send(DatagramSocket from, InetSocketAddress to, String text) throws Exception {
        byte[] b = text.getBytes(US_ASCII);
        from.send(new DatagramPacket(b, b.length, to));
    }

    private static String receive(DatagramSocket socket) throws Exception {
        byte[] buffer = new byte[2048];
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        socket.receive(p);
        return new String(p.getData(), 0, p.getLength(), US_ASCII);
    }
}
