package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.wavelb.config.Algorithm;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.testing.TestConfigs;
import io.wavelb.core.transport.Transport;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * On io_uring a UDP session holds ~170 KiB of heap (Netty's per-channel message headers), so
 * max_sessions is capped to what half the heap holds: the listener then drops new flows as
 * {@code session_cap} instead of the JVM dying of OutOfMemoryError (seen with 5000 sessions in a
 * 512 MiB heap). Other transports keep the configured limit.
 */
class IoUringSessionLimitTest {

    private static final long HEAP_512_MIB = 512L * 1024 * 1024;

    private static ListenerConfig udpListener(int maxSessions) {
        return TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV,
                        TestConfigs.udpSettings(Duration.ofSeconds(60), maxSessions, UdpSettings.DEFAULT_MAX_DATAGRAM_SIZE),
                        TcpSettings.DEFAULTS, List.of("127.0.0.1:9"))
                .listeners().getFirst();
    }

    @Test
    void ioUringCapsSessionsToHalfTheHeap() {
        assumeTrue(IoUring.isAvailable(), "io_uring not available here");
        Transport ioUring = Transport.select(io.wavelb.config.Transport.IO_URING);
        // 256 MiB / 170 KiB = 1542 sessions.
        assertThat(UdpListener.sessionLimit(udpListener(100_000), ioUring, HEAP_512_MIB, false)).isEqualTo(1542);
        assertThat(UdpListener.sessionLimit(udpListener(1000), ioUring, HEAP_512_MIB, false)).isEqualTo(1000);
    }

    @Test
    void epollKeepsTheConfiguredLimit() {
        assumeTrue(Epoll.isAvailable(), "epoll not available here");
        Transport epoll = Transport.select(io.wavelb.config.Transport.EPOLL);
        assertThat(UdpListener.sessionLimit(udpListener(100_000), epoll, HEAP_512_MIB, false)).isEqualTo(100_000);
    }
}
