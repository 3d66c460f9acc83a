package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.EventLoop;
import io.wavelb.core.linux.LibC;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.transport.BareSocket;
import io.wavelb.core.transport.OwnLoopRegistration;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * A session's upstream socket registered straight with the epoll event loop, without a Netty
 * channel. A one-shot UDP flow pays socket, epoll add, connect, epoll modify, send, recv and close
 * (plus the getsockname Netty's socket wrapper does), where a Netty datagram channel adds two
 * setsockopts, two getsocknames, a getpeername and two more epoll calls, and a pipeline, a channel ID
 * and futures in the heap: measured in benchmarks/README.md ("new UDP flows/s").
 *
 * <p>Level-triggered: a read event takes up to {@link #READS_PER_EVENT} replies and leaves the rest
 * for the next loop turn, so one busy target cannot starve the others on the loop, and a one-shot
 * flow's single reply costs one recv (no second recv to see EAGAIN, as edge-triggered needs).
 * Every method runs on the owning event loop.
 *
 * <p>Sends never call back: a refused send is returned as {@link Outcome#FAILED} and the owner
 * ends the session once the send has returned.
 */
final class NativeUpstream implements Upstream, EpollIoHandle {

    static final int READS_PER_EVENT = 16;

    /** From linux/udp.h; segments per GSO send, as UDP_MAX_SEGMENTS of Linux 4.18. */
    private static final int SOL_UDP = 17;
    private static final int UDP_SEGMENT = 103;
    private static final int MAX_SEGMENTS = 64;
    /** Below the largest UDP payload (65,507 bytes over IPv4). */
    private static final int MAX_GSO_BYTES = 65_000;
    /**
     * A taken-over socket keeps the UDP_SEGMENT the old process last set on it: believed 0, a lone
     * datagram longer than that segment would leave cut in two (the target got the tail as a
     * datagram of its own). Unknown makes the first send set the option it needs.
     */
    private static final int SEGMENT_UNKNOWN = -1;
    private static final int EINVAL = 22;
    private static final int EIO = 5;
    private static final int EMSGSIZE = 90;

    /** What one send system call did. */
    private enum Sent {
        SENT,
        /** EAGAIN: the socket's send queue is full; UDP drops rather than waits. */
        BUSY,
        /** The kernel refused a GSO send (not the target): send the datagrams one by one. */
        GSO_REFUSED,
        /** The socket failed: the target refused. */
        FAILED
    }

    private final BareSocket socket;
    /** The loop's shared part: allocator, counters, events, the GSO switch. */
    private final LoopUpstreams loop;
    private final UdpSession session;
    private final int receiveCapacity;
    private IoRegistration registration;
    private boolean closed;
    /** Queued datagrams: the first one alone, or from the second on copied back to back in {@link #train}. */
    private ByteBuf first;
    private ByteBuf train;
    private int trainCount;
    private int trainSegment;
    /**
     * UDP_SEGMENT as set on the socket (0: none; {@link #SEGMENT_UNKNOWN} for a socket another
     * process set up, until the first send sets it); false once a GSO send failed on this socket.
     */
    private int socketSegment;
    private boolean socketGso = true;
    /**
     * Whether a read ever found two or more replies queued: only a queue that filled can have
     * dropped, so only then is the socket's drop count read (at the sweep, and at close).
     */
    private boolean queued;
    /** The socket's drop count when last read: 0 for a socket opened here, its count at adoption for one taken over. */
    private long dropsSeen;
    /**
     * Offered to a takeover: the new process counts this socket's drops from when it adopts it (it
     * reads the count then), so this process counts none after its last look at the offer, unless
     * the takeover fails ({@link #keepCountingDrops}). Else drops in the pause were counted twice.
     */
    private boolean dropsHandedOff;

    private NativeUpstream(BareSocket socket, LoopUpstreams loop, UdpSession session, int receiveCapacity) {
        this.socket = socket;
        this.loop = loop;
        this.session = session;
        this.receiveCapacity = receiveCapacity;
    }

    /** Whether sessions on {@code loop} can use a native upstream socket (epoll loops only). */
    static boolean supportedOn(EventLoop loop) {
        return loop instanceof IoEventLoop io && io.isCompatible(NativeUpstream.class);
    }

    /**
     * Opens a socket connected to {@code target} and registers it with {@code loop}, which must be
     * the calling thread's. UDP's connect completes at once, so the session can send right away.
     *
     * @param receiveCapacity the largest reply taken, plus one byte that reveals an oversize one
     * @param receiveBuffer   SO_RCVBUF, or 0 to keep the kernel's default (no system call)
     * @param source          bound with IP_TRANSPARENT before the connect (the client's address), or null
     * @throws RuntimeException when the socket cannot be created (EMFILE: out of descriptors)
     * @throws TransparentBindException when {@code source} cannot be bound (EPERM: no CAP_NET_RAW;
     *         EADDRINUSE: another socket of this host has that address and port)
     * @throws IOException when it cannot be connected or registered
     */
    static NativeUpstream open(LoopUpstreams shared, IoEventLoop loop, UdpSession session, int receiveCapacity,
                               int receiveBuffer, InetSocketAddress source) throws IOException {
        InetSocketAddress target = session.target.socketAddress();
        BareSocket socket = BareSocket.datagramFor(target);
        NativeUpstream upstream = new NativeUpstream(socket, shared, session, receiveCapacity);
        try {
            if (receiveBuffer > 0) {
                // Capped by the kernel at net.core.rmem_max like the listener's; the listener says so once.
                socket.setReceiveBufferSize(receiveBuffer);
            }
            if (source != null) {
                bindTransparent(socket, source);
            }
            socket.connect(target);
            upstream.register(loop);
            return upstream;
        } catch (IOException | RuntimeException e) {
            upstream.close();
            throw e;
        } catch (Exception e) {
            upstream.close();
            throw new IOException(e);
        }
    }

    /**
     * Wraps {@code fd}, a connected UDP socket another process handed over (takeover), and
     * registers it with {@code loop}, the calling thread's, unless not to {@code poll} it yet (then
     * {@link #resume} does): the session goes on from the same local address and port, so its
     * target sees nothing change.
     *
     * @throws IOException when it cannot be registered (the descriptor is closed then)
     */
    static NativeUpstream adopt(LoopUpstreams shared, IoEventLoop loop, UdpSession session, int fd, int receiveCapacity,
                                boolean poll) throws IOException {
        NativeUpstream upstream = new NativeUpstream(new BareSocket(fd), shared, session, receiveCapacity);
        upstream.socketSegment = SEGMENT_UNKNOWN;
        // What the old process's reading missed is counted there (at its close); from here on, here.
        upstream.dropsSeen = shared.dropCounts == null ? 0 : Math.max(0, shared.dropCounts.read(fd));
        try {
            if (poll) {
                upstream.register(loop);
            }
            return upstream;
        } catch (IOException | RuntimeException e) {
            upstream.close();
            throw e;
        }
    }

    /**
     * Binds the client's address. No SO_REUSEADDR: a client address and port is bound by one
     * socket of this host at a time, so two sessions can never share a 5-tuple towards one target
     * (the kernel would hand both sockets' replies to one of them); the second is refused instead.
     */
    private static void bindTransparent(BareSocket socket, InetSocketAddress source) throws TransparentBindException {
        boolean v6 = source.getAddress() instanceof Inet6Address;
        try {
            socket.setTransparent(v6);
        } catch (IOException e) {
            throw new TransparentBindException("cannot set " + (v6 ? "IPV6_TRANSPARENT" : "IP_TRANSPARENT")
                    + " (needs CAP_NET_RAW or CAP_NET_ADMIN): " + e.getMessage(), e);
        }
        try {
            socket.bind(source);
        } catch (IOException e) {
            throw new TransparentBindException("cannot bind the client's address " + source + ": " + e.getMessage(), e);
        }
    }

    private void register(IoEventLoop loop) throws IOException {
        registration = OwnLoopRegistration.register(loop, this, "the upstream socket");
        registration.submit(EpollIoOps.EPOLLIN);
    }

    /** The socket's descriptor number in this process: what a takeover sends. */
    int descriptor() {
        return socket.intValue();
    }

    /**
     * Stops polling the socket and keeps it open (a takeover is handing it over). The
     * registration is cancelled while the descriptor is still open, so the loop's epoll set drops
     * it now: once the new process holds a copy, closing ours would not.
     */
    void suspend() {
        if (registration != null) {
            registration.cancel();
            registration = null;
        }
    }

    /** Polls the socket again after {@link #suspend} (the takeover failed); on the calling loop. */
    void resume(IoEventLoop loop) throws IOException {
        if (!closed && registration == null) {
            register(loop);
        }
    }

    @Override
    public boolean connectedAtOpen() {
        return true;
    }

    @Override
    public InetSocketAddress localAddress() {
        if (closed) {
            return null;
        }
        try {
            return socket.localAddress();
        } catch (RuntimeException e) {
            return null;
        }
    }

    @Override
    public FileDescriptor fd() {
        return socket;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        if (closed) {
            // An event of the loop turn in which the session ended: the descriptor may be another socket's now.
            return;
        }
        EpollIoOps ops = ((EpollIoEvent) event).ops();
        if (ops.contains(EpollIoOps.EPOLLIN) && !readReplies()) {
            return;
        }
        if (ops.contains(EpollIoOps.EPOLLERR)) {
            // An ICMP error with no datagram to read it from: take it off the socket (level-triggered
            // epoll would report it forever) and act on it as a failed read.
            int error;
            try {
                error = socket.getSoError();
            } catch (IOException e) {
                error = -1;
            }
            if (error != 0) {
                loop.events.refused(session);
            }
        }
    }

    /**
     * Reads up to {@link #READS_PER_EVENT} replies and hands each to the session's owner.
     *
     * @return false when the session ended meanwhile (the owner closed this socket): read nothing more
     */
    private boolean readReplies() {
        for (int i = 0; i < READS_PER_EVENT; i++) {
            ByteBuf buffer;
            try {
                buffer = loop.alloc.directBuffer(receiveCapacity, receiveCapacity);
            } catch (OutOfMemoryError e) {
                // No buffer within the budget: drop the datagram (read into one scratch byte) so
                // the socket does not stay readable and spin. When there was none to drop (recv
                // answers 0 for EAGAIN), stop here rather than fail allocations for nothing.
                int dropped;
                try {
                    dropped = socket.recv(loop.discard, 0, 1);
                } catch (IOException refusal) {
                    // ECONNREFUSED, as for a read below: the recv consumed it, so report it now.
                    loop.events.refused(session);
                    return false;
                }
                if (dropped == 0) {
                    return true;
                }
                loop.events.noMemory(e);
                continue;
            }
            int n;
            try {
                n = receive(buffer);
            } catch (IOException e) {
                // ECONNREFUSED: an earlier datagram met a closed port (ICMP port unreachable).
                buffer.release();
                loop.events.refused(session);
                return false;
            }
            if (n == 0) {
                buffer.release();
                return true;
            }
            // Netty's recv says -1 for a zero-length datagram (UDP has no end of stream): pass it on.
            buffer.writerIndex(Math.max(n, 0));
            if (i == 1) {
                // A second reply was waiting behind the first: the queue held more than one.
                queued = true;
                if (!session.queueWatched) {
                    loop.events.queued(session);
                }
            }
            if (!loop.events.reply(session, buffer)) {
                return false;
            }
        }
        return true;
    }

    /** A takeover is offered this socket: counts what dropped so far; the rest is the new process's to count. */
    void handOffDrops() {
        if (queued) {
            countKernelDrops();
        }
        dropsHandedOff = true;
    }

    /** The takeover that was offered this socket failed: its drops are counted here again, from the last look on. */
    void keepCountingDrops() {
        dropsHandedOff = false;
    }

    @Override
    public void countKernelDrops() {
        LibC.DropCounts counts = loop.dropCounts;
        if (counts == null || dropsHandedOff || !socket.isOpen()) {
            return;
        }
        long now = counts.read(socket.intValue());
        if (now > dropsSeen) {
            loop.counters.add(ListenerCounter.UDP_SESSION_KERNEL_DROPS, now - dropsSeen);
            dropsSeen = now;
        }
    }

    private int receive(ByteBuf buffer) throws IOException {
        if (buffer.hasMemoryAddress()) {
            return socket.recvAddress(buffer.memoryAddress(), 0, receiveCapacity);
        }
        ByteBuffer nio = buffer.internalNioBuffer(0, receiveCapacity);
        return socket.recv(nio, nio.position(), nio.limit());
    }

    /**
     * Queues the datagram: consecutive ones of one size leave together at {@link #flush} as one
     * UDP GSO send (UDP_SEGMENT, Linux 4.18+), which the kernel cuts back into the same datagrams
     * after the IP layer, so a burst of one flow costs one system call and one trip down the stack.
     */
    @Override
    public Outcome send(ByteBuf datagram) {
        if (closed) {
            datagram.release();
            return Outcome.FAILED;
        }
        int length = datagram.readableBytes();
        if (trainCount > 0 && (length != trainSegment || trainCount == MAX_SEGMENTS
                || (trainCount + 1L) * length > MAX_GSO_BYTES || !loop.gso || !socketGso)
                && flushTrain() == Outcome.FAILED) {
            datagram.release();
            return Outcome.FAILED;
        }
        if (trainCount == 0) {
            first = datagram;
            trainSegment = length;
        } else {
            if (train == null) {
                try {
                    train = loop.alloc.directBuffer(length * 8);
                } catch (OutOfMemoryError e) {
                    datagram.release();
                    loop.events.noMemory(e);
                    return Outcome.OK;
                }
                train.writeBytes(first);
                first.release();
                first = null;
            }
            train.writeBytes(datagram);
            datagram.release();
        }
        trainCount++;
        return Outcome.OK;
    }

    @Override
    public Outcome flush() {
        return flushTrain();
    }

    /** Sends the queued datagrams, counting those dropped for a full send queue. */
    private Outcome flushTrain() {
        int count = trainCount;
        if (count == 0) {
            return Outcome.OK;
        }
        trainCount = 0;
        if (count == 1) {
            ByteBuf one = first;
            first = null;
            try {
                // A lone datagram longer than the socket's segment size would be cut up: unset it.
                if (socketSegment != 0 && one.readableBytes() > socketSegment && !setSegment(0)) {
                    loop.counters.increment(ListenerCounter.DROPPED_UPSTREAM_BUSY);
                    return Outcome.OK;
                }
                Sent result = sendNow(one);
                if (result == Sent.GSO_REFUSED) {
                    stopGso();
                    result = sendNow(one);
                }
                return switch (result) {
                    case SENT -> Outcome.OK;
                    case BUSY -> {
                        loop.counters.increment(ListenerCounter.DROPPED_UPSTREAM_BUSY);
                        yield Outcome.OK;
                    }
                    // Refused again although UDP_SEGMENT could not be unset: dropped, the session goes on.
                    case GSO_REFUSED -> Outcome.OK;
                    case FAILED -> Outcome.FAILED;
                };
            } finally {
                one.release();
            }
        }
        ByteBuf burst = train;
        train = null;
        try {
            if (socketSegment != trainSegment && !setSegment(trainSegment)) {
                return sendEach(burst, count);
            }
            return switch (sendNow(burst)) {
                case SENT -> {
                    loop.counters.add(ListenerCounter.UDP_GSO_DATAGRAMS, count);
                    yield Outcome.OK;
                }
                case BUSY -> {
                    loop.counters.add(ListenerCounter.DROPPED_UPSTREAM_BUSY, count);
                    yield Outcome.OK;
                }
                case GSO_REFUSED -> {
                    stopGso();
                    yield sendEach(burst, count);
                }
                case FAILED -> Outcome.FAILED;
            };
        } finally {
            burst.release();
        }
    }

    /**
     * The kernel refused a send while UDP_SEGMENT was set: EMSGSIZE (EINVAL before Linux 5.x) for a
     * segment too big for the route's MTU, which udp_send_skb checks on every send, GSO or not; EIO
     * for no checksum offload on the way out. This socket sends one datagram per call from now on,
     * and the kernel fragments what is too big, as for any other datagram.
     */
    private void stopGso() {
        socketGso = false;
        setSegment(0);
    }

    /** Sends a burst's datagrams one by one; stops at a failed send (the rest are dropped with the session). */
    private Outcome sendEach(ByteBuf burst, int count) {
        for (int i = 0; i < count; i++) {
            switch (sendNow(burst.slice(i * trainSegment, trainSegment))) {
                case SENT -> { }
                case BUSY -> loop.counters.increment(ListenerCounter.DROPPED_UPSTREAM_BUSY);
                case GSO_REFUSED -> { }
                case FAILED -> {
                    return Outcome.FAILED;
                }
            }
        }
        return Outcome.OK;
    }

    /** Sets UDP_SEGMENT on the socket; false (and GSO off for good) when the kernel has none. */
    private boolean setSegment(int segment) {
        try {
            socket.setIntOption(SOL_UDP, UDP_SEGMENT, segment);
            socketSegment = segment;
            return true;
        } catch (IOException e) {
            loop.gso = false;
            socketGso = false;
            if (segment == 0 && socketSegment == SEGMENT_UNKNOWN) {
                // A kernel without UDP_SEGMENT: no process can have set it on this socket.
                socketSegment = 0;
                return true;
            }
            return false;
        }
    }

    /** One send system call; the datagram stays the caller's. */
    private Sent sendNow(ByteBuf datagram) {
        int length = datagram.readableBytes();
        try {
            int sent;
            if (datagram.hasMemoryAddress()) {
                sent = socket.sendAddress(datagram.memoryAddress(), datagram.readerIndex(), datagram.writerIndex());
            } else if (datagram.isDirect() && datagram.nioBufferCount() == 1) {
                ByteBuffer nio = datagram.internalNioBuffer(datagram.readerIndex(), length);
                sent = socket.send(nio, nio.position(), nio.limit());
            } else {
                // The native send reads memory by address: a heap or composite buffer is copied first.
                ByteBuf copy = loop.alloc.directBuffer(length).writeBytes(datagram, datagram.readerIndex(), length);
                try {
                    return sendNow(copy);
                } finally {
                    copy.release();
                }
            }
            // Netty reports EAGAIN as 0 bytes: the send queue is full and UDP drops rather than waits.
            return sent == 0 && length > 0 ? Sent.BUSY : Sent.SENT;
        } catch (Errors.NativeIoException e) {
            int errno = -e.expectedErr();
            if (socketSegment != 0 && (errno == EMSGSIZE || errno == EINVAL || errno == EIO)) {
                return Sent.GSO_REFUSED;
            }
            return Sent.FAILED;
        } catch (IOException e) {
            return Sent.FAILED;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (first != null) {
            first.release();
            first = null;
        }
        if (train != null) {
            train.release();
            train = null;
        }
        trainCount = 0;
        if (queued) {
            // The last look: drops since the last sweep would go uncounted with the socket.
            countKernelDrops();
        }
        try {
            socket.close();
        } catch (IOException e) {
            // Nothing left to do with a socket that would not close.
        }
        // After the close, so the registration skips its EPOLL_CTL_DEL: closing the only reference to
        // the socket already took it out of the epoll set (epoll(7), "Q6").
        if (registration != null) {
            registration.cancel();
        }
    }
}
