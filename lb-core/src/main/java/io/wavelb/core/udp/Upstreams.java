package io.wavelb.core.udp;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.wavelb.core.stats.LoopCounters;
import java.io.IOException;
import java.net.InetSocketAddress;

/** Opens the upstream sockets of one event loop's sessions. */
interface Upstreams {

    /**
     * A socket connected (or connecting) to {@code session.target}, reporting to the loop's
     * {@link UpstreamEvents}.
     *
     * @param receiveCapacity the largest reply taken, plus one byte that reveals an oversize one
     * @param receiveBuffer   SO_RCVBUF for the socket ({@code udp.session_receive_buffer}), or 0 for the kernel's default
     * @param source          the address to bind with IP_TRANSPARENT (a transparent listener: the
     *                        client's), or null for the balancer's own
     * @throws TransparentBindException when {@code source} cannot be bound
     * @throws IOException or a RuntimeException when no socket can be had (EMFILE: out of descriptors)
     */
    Upstream open(UdpSession session, int receiveCapacity, int receiveBuffer, InetSocketAddress source) throws IOException;

    /**
     * The connected socket {@code fd} another process handed over for {@code session} (takeover),
     * polled from now on, or (not {@code poll}) once the session is activated.
     *
     * @throws IOException when this loop's kind of upstream cannot take a bare socket
     */
    default Upstream adopt(UdpSession session, int fd, int receiveCapacity, boolean poll) throws IOException {
        throw new IOException("handed-over UDP sessions need native upstream sockets (the epoll transport)");
    }

    /** Makes the {@link Upstreams} of one loop; tests pass their own. */
    interface Factory {
        Upstreams create(EventLoop loop, ByteBufAllocator alloc, LoopCounters counters, UpstreamEvents events);
    }
}
