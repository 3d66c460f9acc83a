package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Bursts of one flow leave for the target as UDP GSO sends (on epoll), and the target still gets
 * every datagram whole, in order, at its own size: runs of one size are cut back into those
 * datagrams by the kernel, and a lone datagram longer than the socket's segment size is not cut.
 */
@Timeout(60)
class UdpGsoSystemTest {

    /** Runs of one size (5 + 3 + 4 + 2 datagrams), lone ones longer than the run before them, 1 byte. */
    static final int[] BURST = {100, 100, 100, 100, 100, 40, 40, 40, 1000, 1, 1200, 1200, 1200, 1200, 700, 700, 1300};

    @Test
    void burstsArriveWholeInOrderAndAtTheirOwnSizes() throws Exception {
        assumeTrue(Epoll.isAvailable(), "GSO is on the epoll path only");
        int rounds = 20;
        GsoBursts.Counts counts = GsoBursts.run(BURST, rounds);
        assertThat(counts.datagramsIn()).isEqualTo(1 + rounds * BURST.length);
        assertThat(counts.gsoDatagrams()).as("datagrams sent in GSO bursts").isEqualTo(rounds * 14L);
        assertThat(counts.upstreamBusy()).isZero();
        assertThat(counts.unreachable()).isZero();
    }
}
