package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.UdpSettings;
import io.wavelb.core.metrics.WavelbMetrics;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.testing.HeldLoop;
import io.wavelb.core.testing.UdpSocketQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

    @Test
    void whatTheKernelDropsOnTheListenerSocketIsCountedAndScraped() throws Exception {
        // 2,048 bytes (4 KiB once the kernel doubles it): a handful of datagrams.
        try (OneLoopUdpListener udp = new OneLoopUdpListener(UdpSettings.DEFAULTS.withReceiveBuffer(2048))) {
            ListenerStats stats = udp.stats;
            WavelbMetrics metrics = new WavelbMetrics();
            metrics.addListener(stats, "udp", () -> 0);

            udp.send("open");
            assertThat(udp.receive()).isEqualTo("open");
            assertThat(stats.kernelDrops()).isZero();
            assertThat(scraped(metrics, udp.name)).isZero();

            long kernel;
            try (HeldLoop held = HeldLoop.hold(udp.loops.next())) {
                for (int i = 0; i < SENT; i++) {
                    udp.send("datagram-" + i);
                }
                kernel = UdpSocketQueue.of(udp.vip).drops();
                assertThat(kernel).as("datagrams the kernel dropped with the loop held").isPositive();
                assertThat(stats.kernelDrops()).isEqualTo(kernel);
                assertThat(scraped(metrics, udp.name)).isEqualTo(kernel);
            }

            // What was not dropped is forwarded once the loop runs again: together, everything sent.
            long forwarded = 1 + SENT - kernel;
            for (long got = 1; got < forwarded; got++) {
                udp.receive();
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

}
