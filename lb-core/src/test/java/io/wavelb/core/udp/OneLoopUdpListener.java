package io.wavelb.core.udp;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.netty.channel.EventLoopGroup;
import io.wavelb.config.Algorithm;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.testing.TestConfigs;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A UDP listener on one epoll event loop of its own, bound to a free loopback port, in front of one
 * target socket the test reads, with one client socket to send from: for tests that hold the loop
 * and look at the listener socket's queue in the kernel.
 */
final class OneLoopUdpListener implements AutoCloseable {

    final DatagramSocket target;
    final DatagramSocket client;
    final io.wavelb.core.transport.Transport transport;
    final ListenerStats stats;
    final EventLoopGroup loops;
    final UdpListener listener;
    final InetSocketAddress vip;
    final String name;

    OneLoopUdpListener(UdpSettings udp) throws Exception {
        target = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        target.setReceiveBufferSize(1 << 20);
        target.setSoTimeout(5000);
        WavelbConfig config = TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV, udp, TcpSettings.DEFAULTS,
                List.of("127.0.0.1:" + target.getLocalPort()), "127.0.0.1", Transport.EPOLL);
        ListenerConfig l = config.listeners().getFirst();
        name = l.name();
        transport = io.wavelb.core.transport.Transport.select(Transport.EPOLL);
        stats = new ListenerStats(l.name());
        loops = transport.newEventLoopGroup(1);
        listener = new UdpListener(l, TargetGroup.create(config.targetGroups().getFirst()), transport, stats);
        listener.bind(loops, new InetSocketAddress("127.0.0.1", 0));
        vip = listener.localAddress();
    }

    /** Sends {@code text} from the client to the listener. */
    void send(String text) throws Exception {
        byte[] b = text.getBytes(US_ASCII);
        client.send(new DatagramPacket(b, b.length, vip));
    }

    /** The next datagram at the target (5 s at most). */
    String receive() throws Exception {
        byte[] buffer = new byte[2048];
        DatagramPacket p = new DatagramPacket(buffer, buffer.length);
        target.receive(p);
        return new String(p.getData(), 0, p.getLength(), US_ASCII);
    }

    @Override
    public void close() throws Exception {
        try {
            listener.closeFlows().toCompletableFuture().get(5, TimeUnit.SECONDS);
        } finally {
            loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
            target.close();
            client.close();
        }
    }
}
