package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import io.wavelb.config.Algorithm;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.testing.TestConfigs;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Zero-length UDP datagrams are legal (RFC 768: the length field may be 8, the header alone) and
 * some protocols send them as keepalives: they pass both ways, on every transport.
 */
@Timeout(60)
class ZeroLengthDatagramSystemTest {

    @ParameterizedTest
    @EnumSource(value = Transport.class, names = {"EPOLL", "IO_URING"})
    void emptyDatagramsAreForwardedToTheTargetAndBack(Transport transport) throws Exception {
        assumeTrue(transport != Transport.EPOLL || Epoll.isAvailable(), "epoll not available here");
        assumeTrue(transport != Transport.IO_URING || IoUring.isAvailable(), "io_uring not available here");
        AtomicInteger emptyAtTarget = new AtomicInteger();
        try (DatagramSocket target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            // Echoes exactly what it gets: an empty datagram comes back empty.
            Thread echo = Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[2048];
                while (!target.isClosed()) {
                    try {
                        DatagramPacket p = new DatagramPacket(buf, buf.length);
                        target.receive(p);
                        if (p.getLength() == 0) {
                            emptyAtTarget.incrementAndGet();
                        }
                        target.send(new DatagramPacket(buf, p.getLength(), p.getSocketAddress()));
                    } catch (java.io.IOException e) {
                        return;
                    }
                }
            });
            try (LoadBalancer lb = LoadBalancer.start(TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV,
                    UdpSettings.DEFAULTS, TcpSettings.DEFAULTS, List.of("127.0.0.1:" + target.getLocalPort()),
                    "127.0.0.1", transport));
                 DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
                InetSocketAddress vip = lb.address("test");
                client.setSoTimeout(2000);
                // A non-empty datagram first, so the session is open on every transport; then empty ones.
                client.send(new DatagramPacket(new byte[] {'x'}, 1, vip));
                DatagramPacket reply = new DatagramPacket(new byte[100], 100);
                client.receive(reply);
                assertThat(reply.getLength()).isEqualTo(1);
                for (int i = 0; i < 3; i++) {
                    client.send(new DatagramPacket(new byte[0], 0, vip));
                    reply = new DatagramPacket(new byte[100], 100);
                    client.receive(reply);
                    assertThat(reply.getLength()).as("empty reply %d", i).isZero();
                }
                assertThat(emptyAtTarget.get()).isEqualTo(3);
            } finally {
                target.close();
                echo.join(2000);
            }
        }
    }
}
