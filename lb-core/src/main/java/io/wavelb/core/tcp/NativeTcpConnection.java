package io.wavelb.core.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.Future;
import io.wavelb.config.ProxyProtocol;
import io.wavelb.core.balance.FlowHash;
import io.wavelb.core.flowlog.EndReason;
import io.wavelb.core.proxy.ProxyHeaders;
import io.wavelb.core.session.ClientKey;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transport.BareSocket;
import io.wavelb.core.transport.OwnLoopRegistration;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One proxied TCP connection on the epoll transport, relayed between two bare sockets: the
 * accepted one and one to a target, each registered once with the event loop, edge-triggered for
 * {@code EPOLLIN|EPOLLOUT|EPOLLRDHUP} and never modified, and closed before its registration is
 * cancelled (the close takes it out of the epoll set, so there is no {@code EPOLL_CTL_DEL}). No
 * channel, pipeline, promise or bootstrap per connection: about half the system calls and a fraction
 * of the code of {@link TcpConnection}, which does the same over Netty channels on other transports
 * (benchmarks/README.md, "New TCP connections").
 *
 * <p>The same behaviour as {@link TcpConnection}: targets tried in the balancer's order up to
 * {@code tcp.connect_attempts}, each within {@code tcp.connect_timeout}; a PROXY header before any
 * client byte; a FIN passed on as {@code shutdown(SHUT_WR)} and the second FIN the end; idle
 * timeouts by the loop's sweep; {@code tcp.close_timeout} for a side that does not take its last
 * bytes; the overload actions; flow log records; the same counters.
 *
 * <p>Each read takes what the socket has into the loop's buffer and writes it to the other socket
 * at once. A write that takes less leaves the rest in a buffer of its own, and that direction reads
 * nothing more until the other socket's {@code EPOLLOUT} has taken it: at most
 * {@link NativeTcpLoop#READ_BYTES} bytes wait per direction (the sockets' own kernel buffers
 * besides). Every method runs on the connection's loop.
 */
final class NativeTcpConnection extends TcpLoopConnections.LoopConnection {

    private static final int EPOLLIN = EpollIoOps.EPOLLIN.value();
    private static final int EPOLLOUT = EpollIoOps.EPOLLOUT.value();
    private static final int EPOLLRDHUP = EpollIoOps.EPOLLRDHUP.value();
    private static final int EPOLLERR = EpollIoOps.EPOLLERR.value();
    /** sys/epoll.h: both directions shut, or the connection reset (EpollIoOps has no constant for it). */
    private static final int EPOLLHUP = 0x10;
    private static final EpollIoOps INTEREST = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLOUT)
            .with(EpollIoOps.EPOLLRDHUP).with(EpollIoOps.EPOLLET);

    private final TcpListener listener;
    private final NativeTcpLoop shared;
    /** The group at accept time: a reload may point the listener elsewhere, this flow stays. */
    private final TargetGroup group;
    private final InetSocketAddress clientAddress;
    /** The address the client connected to (the listener's, or the accepted socket's own on a wildcard listener). */
    private final InetSocketAddress localAddress;
    /** The client as tcp.max_connections_per_client counts it, or null when not counted. */
    private final ClientKey clientKey;
    private final Side client;
    private Side target;
    private final TargetAttempts attempts;
    /** The target being connected to, then the one connected; null before the first and after a failed one. */
    private Target chosen;
    /** The target socket's own address, read at connect when the flow is logged: the source the target sees. */
    private InetSocketAddress targetLocal;
    private Future<?> connectTimeout;
    private Future<?> closeTimeout;
    /** close() was called: nothing more is read; each side closes once what is queued for it is written. */
    private boolean closing;
    private boolean targetCounted;
    private final TcpFlowLog flowLog;
    /** How the target (draining, terminate_on_unhealthy) closes this connection from any thread. */
    private final Runnable closer = this::closeFromTarget;

    private NativeTcpConnection(TcpListener listener, NativeTcpLoop shared, int clientFd, InetSocketAddress clientAddress,
                                InetSocketAddress localAddress, ClientKey clientKey) {
        super(listener.config().tcp().idleTimeout().toNanos());
        this.listener = listener;
        this.shared = shared;
        this.group = listener.group();
        this.clientAddress = clientAddress;
        this.localAddress = localAddress;
        this.clientKey = clientKey;
        this.client = new Side(new FileDescriptor(clientFd), null, true);
        long flowHash = group.flowHash(FlowHash.TCP, clientAddress.getAddress(), clientAddress.getPort(),
                localAddress.getAddress(), localAddress.getPort());
        this.attempts = new TargetAttempts(listener, group, shared.counters, flowHash, closer);
        this.flowLog = new TcpFlowLog(listener, flowHash);
    }

    /**
     * Takes an accepted socket: counts it, registers it with the loop and starts the connect to a
     * target. On a failure to register, the socket is closed and the connection ends at once.
     */
    static void start(TcpListener listener, NativeTcpLoop shared, int clientFd, InetSocketAddress clientAddress,
                      InetSocketAddress localAddress, ClientKey clientKey) {
        NativeTcpConnection c = new NativeTcpConnection(listener, shared, clientFd, clientAddress, localAddress, clientKey);
        shared.counters.increment(ListenerCounter.TCP_ACCEPTED);
        listener.stats().tcpConnections().incrementAndGet();
        shared.connections.add(c);
        try {
            c.client.register();
        } catch (IOException e) {
            listener.warnRateLimited("cannot poll an accepted connection: ", e.getMessage());
            c.abort(null);
            return;
        }
        try {
            c.connectNext();
        } catch (RuntimeException | LinkageError e) {
            // Never into Netty's loop (a second's sleep for every flow on it) and never a client
            // left open with no target: a class that cannot load while the process is out of
            // descriptors (EMFILE) is a LinkageError, and it stays one.
            listener.warnRateLimited("closing a TCP connection after an unexpected error: ", e);
            c.abort(null);
        }
    }

    // ---- connecting ---------------------------------------------------------------------------

    /**
     * Picks the next target not yet tried and connects to it; on failure tries the next one in the
     * balancer's preference order, up to {@code connect_attempts} distinct targets.
     */
    private void connectNext() {
        Target next = attempts.next();
        if (next == null) {
            close(EndReason.NO_TARGET);
            return;
        }
        InetSocketAddress source = null;
        if (listener.config().transparent()) {
            source = attempts.transparentSource(clientAddress, next);
            if (source == null) {
                if (attempts.more()) {
                    connectNext();
                } else {
                    close(null);
                }
                return;
            }
        }
        chosen = next;
        connect(next, source);
    }

    /** Connects to {@code next}, from {@code source} with IP_TRANSPARENT when not null. */
    private void connect(Target next, InetSocketAddress source) {
        InetSocketAddress to = next.socketAddress();
        BareSocket socket;
        try {
            socket = BareSocket.streamFor(to);
        } catch (RuntimeException e) {
            connectFailed(next, source, e);
            return;
        }
        Side side = new Side(socket, socket, false);
        target = side;
        boolean connected;
        try {
            // Netty's channels set TCP_NODELAY on every socket they make; so does this relay (the
            // accepted sockets inherit it from the listening one).
            socket.setTcpNoDelay(true);
            if (source != null) {
                socket.setTransparent(to.getAddress() instanceof Inet6Address);
                socket.bind(source);
            }
            connected = socket.connect(to);
            side.register();
        } catch (IOException e) {
            side.closeNow();
            target = null;
            connectFailed(next, source, e);
            return;
        }
        if (connected) {
            connected(next);
        } else {
            long timeout = listener.config().tcp().connectTimeout().toNanos();
            connectTimeout = shared.loop.schedule(this::connectTimedOut, timeout, TimeUnit.NANOSECONDS);
        }
    }

    /** The socket to {@code candidate}, from {@code source} when not null, could not be made or connected. */
    private void connectFailed(Target candidate, InetSocketAddress source, Throwable e) {
        switch (TargetAttempts.classify(e, source)) {
            case NO_DESCRIPTOR -> {
                chosen = null;
                attempts.noDescriptor(candidate, e);
                close(EndReason.SOCKET_ERROR);
            }
            // The client's port is bound on this host already (a connection from it in TIME_WAIT,
            // or the same client port through another listener): its IP, any free port.
            case CLIENT_PORT_IN_USE -> connect(candidate, new InetSocketAddress(source.getAddress(), 0));
            case TRANSPARENT_BIND -> {
                // Neither outlier detection nor another target helps.
                chosen = null;
                attempts.transparentBindFailed(candidate, source, e.getMessage());
                close(null);
            }
            case NO_LOCAL_PORT -> noLocalPort(candidate);
            case TARGET -> connectFailed(candidate, e);
        }
    }

    /** This host has no port left towards that target: not the target's failure, and another target's 4-tuples are free. */
    private void noLocalPort(Target candidate) {
        chosen = null;
        attempts.noLocalPort(candidate);
        if (attempts.more()) {
            connectNext();
        } else {
            close(EndReason.NO_LOCAL_PORT);
        }
    }

    private void connectFailed(Target candidate, Object why) {
        chosen = null;
        attempts.failed(candidate, why);
        if (attempts.more()) {
            connectNext();
        } else {
            close(EndReason.NO_TARGET);
        }
    }

    /** The target socket's connect failed (EPOLLERR/EPOLLHUP before EPOLLOUT), or timed out. */
    private void targetConnectFailed(String why) {
        cancelConnectTimeout();
        Target candidate = chosen;
        target.closeNow();
        target = null;
        connectFailed(candidate, why);
    }

    private void connectTimedOut() {
        connectTimeout = null;
        if (target != null && !target.connected && target.open) {
            targetConnectFailed("connection timed out after " + listener.config().tcp().connectTimeout().toMillis() + " ms"
                    + " (tcp.connect_timeout)");
        }
    }

    private void cancelConnectTimeout() {
        if (connectTimeout != null) {
            connectTimeout.cancel(false);
            connectTimeout = null;
        }
    }

    /** The target socket connected: the relay starts, the PROXY header first. */
    private void connected(Target candidate) {
        cancelConnectTimeout();
        target.connected = true;
        listener.stats().tcpTargetSockets().incrementAndGet();
        targetCounted = true;
        attempts.succeeded(candidate);
        if (flowLog.logged()) {
            // Read now, while the socket is sure to be open: the end record needs it too.
            targetLocal = target.socket.localAddress();
        }
        ProxyProtocol proxy = listener.config().proxyProtocol();
        if (proxy != ProxyProtocol.NONE) {
            byte[] header = proxy == ProxyProtocol.V1 ? ProxyHeaders.v1(clientAddress, localAddress)
                    : ProxyHeaders.v2(clientAddress, localAddress, false);
            // Before any client byte: the client is read only below, and not while a header remainder waits.
            if (!client.sendToPeer(header)) {
                return;
            }
        }
        flowLog.started(clientAddress, targetLocal, connectedTarget());
        // The client's bytes (and FIN) that came while connecting raised their edge already.
        client.pump(false);
    }

    // ---- ending -------------------------------------------------------------------------------

    /**
     * A side's socket failed (a reset, a broken pipe): it is closed now, and the connection ends,
     * the other side once it has taken what is queued for it.
     */
    private void sideFailed(Side side) {
        EndReason reason = side.isClient ? (listener.closingFlows() ? EndReason.SHUTDOWN : EndReason.CLIENT_CLOSED)
                : EndReason.TARGET_CLOSED;
        // Before the close: the client socket's close writes the flow's end record.
        flowLog.reason(reason);
        side.closeNow();
        close(reason);
    }

    /**
     * Ends both sides once, after what is already queued for each has been written; a side that has
     * not taken its bytes within {@code tcp.close_timeout} (a peer that stopped reading) is closed anyway.
     */
    void close(EndReason reason) {
        flowLog.reason(reason);
        if (closing) {
            return;
        }
        closing = true;
        ended();
        closeWhenFlushed(client);
        if (target != null) {
            closeWhenFlushed(target);
        }
        if (client.open || (target != null && target.open)) {
            long timeout = listener.config().tcp().closeTimeout().toNanos();
            closeTimeout = shared.loop.schedule(this::closeTimedOut, timeout, TimeUnit.NANOSECONDS);
        }
    }

    /** Closes {@code side} now unless its peer's bytes still wait to be written to it. */
    private void closeWhenFlushed(Side side) {
        Side from = side.peer();
        if (!side.connected || from == null || from.pending == null) {
            side.closeNow();
        }
    }

    private void closeTimedOut() {
        closeTimeout = null;
        if (client.open || (target != null && target.open)) {
            shared.counters.increment(ListenerCounter.TCP_CLOSE_TIMEOUT);
            abort(null);
        }
    }

    /** Leaves the loop's list and the target's count: once, at the first close or abort. */
    private void ended() {
        shared.connections.remove(this);
        cancelConnectTimeout();
        if (chosen != null) {
            attempts.released(chosen);
        }
    }

    @Override
    public void abort(ListenerCounter reason) {
        if (reason != null) {
            shared.counters.increment(reason);
            flowLog.reason(TargetAttempts.abortedAs(reason));
        }
        if (!closing) {
            closing = true;
            ended();
        }
        client.closeNow();
        if (target != null) {
            target.closeNow();
        }
    }

    @Override
    public void idle() {
        shared.counters.increment(ListenerCounter.TCP_CLOSED_IDLE);
        close(EndReason.IDLE);
    }

    @Override
    public void closeForShutdown() {
        sideFailed(client);
    }

    /**
     * The target closes its connections: it turned unhealthy (terminate_on_unhealthy), or its
     * deregistration delay ran out (removed, drained). From any thread.
     */
    private void closeFromTarget() {
        shared.loop.execute(() -> close(TargetAttempts.closedByTarget(chosen)));
    }

    /** A side closed: its count, and for the client the per-client count and the flow's end record. */
    private void sideClosed(Side side) {
        if (side.isClient) {
            listener.stats().tcpConnections().decrementAndGet();
            if (clientKey != null) {
                listener.clientClosed(clientKey);
            }
            flowLog.ended(clientAddress, targetLocal, connectedTarget());
        } else if (targetCounted) {
            targetCounted = false;
            listener.stats().tcpTargetSockets().decrementAndGet();
        }
        if (closeTimeout != null && !client.open && (target == null || !target.open)) {
            closeTimeout.cancel(false);
            closeTimeout = null;
        }
    }

    /** The target connected to (for the flow log), or null when none was. */
    private Target connectedTarget() {
        return target != null && target.connected ? chosen : null;
    }

    // ---- LoopConnection ------------------------------------------------------------------------

    @Override
    public long bufferedBytes() {
        return client.pendingBytes() + (target == null ? 0 : target.pendingBytes());
    }

    // ---- one socket ---------------------------------------------------------------------------

    /** One socket of the connection; {@link #pending} is what was read from it and its peer has not taken yet. */
    private final class Side implements EpollIoHandle {

        final FileDescriptor fd;
        /** The target socket (for its errors and address); null for the accepted one. */
        final BareSocket socket;
        final boolean isClient;
        IoRegistration registration;
        /** The target socket is connected (the accepted one always is). */
        boolean connected;
        boolean open = true;
        /** Its FIN was read (and passed on, or it ended the connection). */
        boolean eof;
        /** An event carried EPOLLRDHUP: the FIN is queued behind the data; read on to it. */
        boolean finSeen;
        /**
         * An EPOLLIN edge not yet read to a short read (NGINX's {@code rev->ready}): a read that
         * returns less than the buffer emptied the queue, and the next byte raises a new edge.
         */
        boolean readable;
        /** Read from this socket, not yet written to the peer: this direction reads nothing until the peer takes it. */
        ByteBuf pending;

        Side(FileDescriptor fd, BareSocket socket, boolean isClient) {
            this.fd = fd;
            this.socket = socket;
            this.isClient = isClient;
            this.connected = isClient;
        }

        Side peer() {
            return isClient ? target : client;
        }

        long pendingBytes() {
            return pending == null ? 0 : pending.readableBytes();
        }

        void register() throws IOException {
            registration = OwnLoopRegistration.register(shared.loop, this, "a TCP socket");
            registration.submit(INTEREST);
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            try {
                handleEvent(event);
            } catch (RuntimeException | LinkageError e) {
                // Never into Netty's loop, which would sleep a second on it with every other flow.
                listener.warnRateLimited("closing a TCP connection after an unexpected error: ", e);
                abort(null);
            }
        }

        private void handleEvent(IoEvent event) {
            if (!open) {
                // An event of the loop turn in which the side closed.
                return;
            }
            int ops = ((EpollIoEvent) event).ops().value();
            if (!connected) {
                // The target socket, connecting: EPOLLOUT is the connect done, an error its failure.
                if ((ops & (EPOLLERR | EPOLLHUP)) != 0) {
                    targetConnectFailed(connectError());
                    return;
                }
                if ((ops & EPOLLOUT) == 0) {
                    return;
                }
                connected(chosen);
                if (!open || closing) {
                    return;
                }
            } else if ((ops & EPOLLOUT) != 0) {
                Side from = peer();
                if (from != null && from.pending != null) {
                    from.flushPending();
                    if (!open) {
                        return;
                    }
                }
            }
            if ((ops & EPOLLRDHUP) != 0) {
                finSeen = true;
            }
            if ((ops & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0) {
                readable = true;
                Side to = peer();
                if (to == null || !to.connected) {
                    if ((ops & (EPOLLERR | EPOLLHUP)) != 0) {
                        // The client reset or closed before its target connected: nothing to pass on.
                        sideFailed(this);
                    }
                    // else: read once the target has connected (the edge is remembered).
                    return;
                }
                pump(false);
            }
        }

        /** Why the target's connect failed, from the socket's pending error. */
        private String connectError() {
            try {
                int errno = socket.getSoError();
                return switch (errno) {
                    case 111 -> "Connection refused";
                    case 110 -> "Connection timed out";
                    case 113 -> "No route to host";
                    case 101 -> "Network is unreachable";
                    case 104 -> "Connection reset by peer";
                    default -> "error " + errno;
                };
            } catch (IOException e) {
                return e.getMessage();
            }
        }

        /**
         * Writes {@code bytes} to the peer ahead of anything read from this side (the PROXY header);
         * what the peer does not take at once waits as this side's pending bytes. False when the
         * connection ended meanwhile.
         */
        boolean sendToPeer(byte[] bytes) {
            Side to = peer();
            // Through the loop's read buffer, which no read is using now: the write needs native memory.
            shared.readBuffer.put(0, bytes);
            int w;
            try {
                w = to.fd.writeAddress(shared.readAddress, 0, bytes.length);
            } catch (IOException e) {
                sideFailed(to);
                return false;
            }
            if (w < bytes.length) {
                try {
                    pending = shared.alloc.directBuffer(bytes.length - w).writeBytes(bytes, w, bytes.length - w);
                } catch (OutOfMemoryError e) {
                    noMemory(e);
                    return false;
                }
            }
            return true;
        }

        /** Moves what this socket has to the peer, until EAGAIN, a short read, a write that takes less, or the FIN. */
        void pump(boolean untilEagain) {
            Side to = peer();
            if (pending != null || eof || !open || closing || to == null || !to.connected || !to.open
                    || !(readable || untilEagain)) {
                return;
            }
            for (;;) {
                int n;
                try {
                    n = fd.readAddress(shared.readAddress, 0, NativeTcpLoop.READ_BYTES);
                } catch (IOException e) {
                    sideFailed(this);
                    return;
                }
                if (n == 0) {
                    readable = false;
                    return;
                }
                if (n < 0) {
                    readable = false;
                    finReceived();
                    return;
                }
                lastActivityNanos = System.nanoTime();
                shared.counters.add(isClient ? ListenerCounter.BYTES_RX : ListenerCounter.BYTES_TX, n);
                flowLog.read(isClient, n);
                int w;
                try {
                    w = to.fd.writeAddress(shared.readAddress, 0, n);
                } catch (IOException e) {
                    sideFailed(to);
                    return;
                }
                if (w < n) {
                    keep(n - w, w);
                    return;
                }
                if (n < NativeTcpLoop.READ_BYTES && !untilEagain && !finSeen) {
                    // The queue was empty at the time of the read: the next byte raises a new edge.
                    readable = false;
                    return;
                }
            }
        }

        /** Keeps the {@code length} bytes at {@code offset} of the loop's buffer the peer did not take. */
        private void keep(int length, int offset) {
            ByteBuf b;
            try {
                b = shared.alloc.directBuffer(length, length);
            } catch (OutOfMemoryError e) {
                noMemory(e);
                return;
            }
            // A view of the loop's buffer (no Unsafe: the JVM may run without it).
            b.writeBytes(shared.readBuffer.slice(offset, length));
            pending = b;
        }

        private void noMemory(OutOfMemoryError e) {
            abort(ListenerCounter.DROPPED_NO_MEMORY);
            listener.warnRateLimited("closing a connection: no buffer memory within the budget: ", e.getMessage());
        }

        /** The peer can take more: writes what waits; once all is taken, reads this side again to EAGAIN. */
        void flushPending() {
            Side to = peer();
            ByteBuf p = pending;
            int w;
            try {
                w = p.hasMemoryAddress() ? to.fd.writeAddress(p.memoryAddress(), p.readerIndex(), p.writerIndex())
                        : to.fd.write(p.internalNioBuffer(p.readerIndex(), p.readableBytes()), 0, p.readableBytes());
            } catch (IOException e) {
                sideFailed(to);
                return;
            }
            p.skipBytes(w);
            if (p.isReadable()) {
                return;
            }
            p.release();
            pending = null;
            lastActivityNanos = System.nanoTime();
            if (closing) {
                // What waited for the peer is written: the peer may close now.
                to.closeNow();
                return;
            }
            // Reading stopped mid-stream, so no new edge may come for what is queued: read to EAGAIN.
            pump(true);
        }

        /** This socket's FIN: passed on as a half-close, or, when the peer's came first, the end. */
        private void finReceived() {
            eof = true;
            Side to = peer();
            if (to.eof) {
                NativeTcpConnection.this.close(EndReason.CLOSED);
                return;
            }
            if (shared.calls.shutdownWrite(to.fd.intValue()) < 0) {
                NativeTcpConnection.this.close(null);
            }
        }

        /** Closes the socket now and drops what waits for it; idempotent. */
        void closeNow() {
            if (!open) {
                return;
            }
            open = false;
            Side from = peer();
            if (from != null && from.pending != null) {
                from.pending.release();
                from.pending = null;
            }
            try {
                fd.close();
            } catch (IOException e) {
                // Nothing more to do with a socket that would not close.
            }
            // After the close: Netty skips EPOLL_CTL_DEL for a closed descriptor (the close took
            // it out of the epoll set, epoll(7) Q6).
            if (registration != null) {
                registration.cancel();
            }
            if (pending != null && (from == null || !from.open)) {
                pending.release();
                pending = null;
            }
            if (connected) {
                // The accepted socket always is; a target socket that never connected was never counted.
                sideClosed(this);
            }
        }

        @Override
        public void close() {
            closeNow();
        }
    }
}
