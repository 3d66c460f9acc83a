package io.wavelb.core.udp;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.config.UdpSettings;
import io.wavelb.core.metrics.WavelbMetrics;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.testing.HeldLoop;
import io.wavelb.core.testing.UdpSocketQueue;
import java.net.DatagramPacket;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The replies the kernel drops on a session's own socket towards its target, before wavelb reads
 * them, are counted from the socket's own count and scraped as
 * {@code wavelb_udp_session_receive_drops_total}: the test holds the loop, overfills the session
 * socket's small receive queue from the target, and checks the count against the kernel's line in
 * {@code /proc/net/udp} and against what reached the client.
 */
@Timeout(60)
class SessionKernelDropsSystemTest {

    private static final int SENT = 200;

    @Test
    void whatTheKernelDropsOnASessionSocketIsCountedAndScraped() throws Exception {
        // 2,048 bytes (4 KiB once the kernel doubles it): a handful of replies.
        try (OneLoopUdpListener udp = new OneLoopUdpListener(UdpSettings.DEFAULTS.withSessionReceiveBuffer(2048))) {
            ListenerStats stats = udp.stats;
            WavelbMetrics metrics = new WavelbMetrics();
            metrics.addListener(stats, "udp", () -> 0);

            udp.send("open");
            byte[] buffer = new byte[2048];
            DatagramPacket opened = new DatagramPacket(buffer, buffer.length);
            udp.target.receive(opened);
            SocketAddress session = opened.getSocketAddress();
            assertThat(UdpSocketQueue.of((java.net.InetSocketAddress) session).drops()).isZero();

            long kernel;
            try (HeldLoop held = HeldLoop.hold(udp.loops.next())) {
                for (int i = 0; i < SENT; i++) {
                    byte[] b = ("reply-" + i).getBytes(US_ASCII);
                    udp.target.send(new DatagramPacket(b, b.length, session));
                }
                kernel = UdpSocketQueue.of((java.net.InetSocketAddress) session).drops();
                assertThat(kernel).as("replies the kernel dropped with the loop held").isPositive();
                assertThat(stats.total(ListenerCounter.UDP_SESSION_KERNEL_DROPS)).as("nothing read while the loop is held")
                        .isZero();
            }

            // The loop reads the queued replies, then its next sweep (within a second) reads the count.
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(stats.total(ListenerCounter.UDP_SESSION_KERNEL_DROPS)).isEqualTo(kernel));
            assertThat(scraped(metrics, udp.name)).isEqualTo(kernel);
            // What was not dropped reached the client: together, every reply the target sent.
            udp.client.setSoTimeout(5000);
            for (long got = 0; got < SENT - kernel; got++) {
                udp.client.receive(new DatagramPacket(buffer, buffer.length));
            }
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                    stats.total(ListenerCounter.DATAGRAMS_TX) + stats.total(ListenerCounter.UDP_SESSION_KERNEL_DROPS))
                    .isEqualTo(SENT));
            // Closing the session looks once more and finds nothing new: the count is not doubled.
            udp.listener.closeFlows().toCompletableFuture().get(5, TimeUnit.SECONDS);
            udp.loops.next().submit(() -> { }).get(5, TimeUnit.SECONDS);
            assertThat(stats.total(ListenerCounter.UDP_SESSION_KERNEL_DROPS)).isEqualTo(kernel);
        }
    }

    private static long scraped(WavelbMetrics metrics, String listener) {
        String body = metrics.scrape(null).body();
        Matcher m = Pattern.compile("(?m)^wavelb_udp_session_receive_drops_total\\{listener=\"" + Pattern.quote(listener)
                + "\"} (\\S+)$").matcher(body);
        assertThat(m.find()).as("wavelb_udp_session_receive_drops_total in the scrape").isTrue();
        return (long) Double.parseDouble(m.group(1));
    }
}
