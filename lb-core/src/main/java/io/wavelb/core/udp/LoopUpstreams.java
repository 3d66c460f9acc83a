package io.wavelb.core.udp;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.wavelb.core.linux.LibC;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.transport.Transport;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * The upstream sockets of one event loop as the transport has them: native sockets on epoll
 * ({@link Transport#nativeUdpUpstreams()}), Netty datagram channels elsewhere. Also what the
 * loop's native sockets share, touched by that loop only: whether UDP GSO still works, and the
 * buffer a reply without memory is discarded into.
 */
final class LoopUpstreams implements Upstreams {

    final EventLoop loop;
    final ByteBufAllocator alloc;
    final LoopCounters counters;
    final UpstreamEvents events;
    private final Transport transport;
    private final boolean nativeSockets;
    /**
     * Native sockets send UDP GSO bursts: from {@link Transport#udpGso()}, off for good once the
     * kernel has no UDP_SEGMENT (each loop finds that out with one failed setsockopt).
     */
    boolean gso;
    /**
     * Where a reply that could not get a buffer is read into and dropped: a one-byte read takes the
     * datagram off a UDP socket (the kernel truncates), so a level-triggered socket does not spin.
     */
    final ByteBuffer discard = ByteBuffer.allocateDirect(1);
    /** Reads native sockets' drop counts without allocating; null where they cannot be read (no FFM libc). */
    final LibC.DropCounts dropCounts;

    LoopUpstreams(Transport transport, EventLoop loop, ByteBufAllocator alloc, LoopCounters counters,
                  UpstreamEvents events) {
        this.transport = transport;
        this.loop = loop;
        this.alloc = alloc;
        this.counters = counters;
        this.events = events;
        this.nativeSockets = transport.nativeUdpUpstreams() && NativeUpstream.supportedOn(loop);
        this.gso = transport.udpGso();
        this.dropCounts = nativeSockets && LibC.unavailable().isEmpty() ? new LibC.DropCounts(Arena.ofAuto()) : null;
    }

    /** The production factory: the transport's kind of upstream socket. */
    static Upstreams.Factory factory(Transport transport) {
        return (loop, alloc, counters, events) -> new LoopUpstreams(transport, loop, alloc, counters, events);
    }

    @Override
    public Upstream open(UdpSession session, int receiveCapacity, int receiveBuffer, InetSocketAddress source)
            throws IOException {
        if (nativeSockets) {
            return NativeUpstream.open(this, (IoEventLoop) loop, session, receiveCapacity, receiveBuffer, source);
        }
        if (source != null) {
            // The start refuses transparent listeners on such a transport (Transport.transparentProblem).
            throw new TransparentBindException("transparent mode needs native UDP upstream sockets (epoll)");
        }
        return ChannelUpstream.open(transport, loop, events, session, receiveCapacity, receiveBuffer);
    }

    @Override
    public Upstream adopt(UdpSession session, int fd, int receiveCapacity, boolean poll) throws IOException {
        if (!nativeSockets) {
            return Upstreams.super.adopt(session, fd, receiveCapacity, poll);
        }
        return NativeUpstream.adopt(this, (IoEventLoop) loop, session, fd, receiveCapacity, poll);
    }
}
