package io.wavelb.core.tcp;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.DuplexChannel;
import io.wavelb.config.ProxyProtocol;
import io.wavelb.core.balance.FlowHash;
import io.wavelb.core.flowlog.EndReason;
import io.wavelb.core.proxy.ProxyHeaders;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One proxied TCP connection: the client channel, the target channel on the same event loop, and
 * the connect attempts between them. Every method runs on that one loop.
 */
final class TcpConnection extends TcpLoopConnections.LoopConnection {

    /**
     * Per direction, a side reads only while its peer's outbound buffer is under the high mark
     * (checked after each read batch), so at most {@code HIGH + READ_BATCH_BYTES} bytes wait for
     * one slow reader: 384 KiB; 768 KiB per connection when both directions are backed up.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);
    static final int READ_BUFFER_MAX = 64 * 1024;
    static final int READS_PER_BATCH = 2;
    static final int READ_BATCH_BYTES = READ_BUFFER_MAX * READS_PER_BATCH;
    /**
     * One {@code read()} takes at most two buffers of at most 64 KiB: Netty's default for stream
     * channels is 16 reads per batch, which lets one batch overshoot the peer's high mark by 1 MiB.
     */
    static final RecvByteBufAllocator READ_ALLOCATOR =
            new AdaptiveRecvByteBufAllocator(512, 16 * 1024, READ_BUFFER_MAX).maxMessagesPerRead(READS_PER_BATCH);

    private final TcpListener listener;
    /** The group at accept time: a reload may point the listener elsewhere, this flow stays. */
    private final TargetGroup group;
    private final Channel client;
    private final LoopCounters counters;
    private final TargetAttempts attempts;
    private Target target;
    private Channel backend;
    private boolean clientInputDone;
    private boolean backendInputDone;
    private boolean closed;
    private final TcpLoopConnections loopConnections;
    /** Whether the accept was counted (the client channel became active): uncounted once, on close. */
    private boolean counted;
    /** Whether the target socket is counted in wavelb_tcp_sockets: uncounted once, on close. */
    private boolean backendCounted;
    private final TcpFlowLog flowLog;
    /** How the target (draining, terminate_on_unhealthy) closes this connection from any thread. */
    private final Runnable closer = () -> clientLoopClose();

    TcpConnection(TcpListener listener, Channel client, LoopCounters counters, TcpLoopConnections loopConnections) {
        super(listener.config().tcp().idleTimeout().toNanos());
        this.listener = listener;
        this.loopConnections = loopConnections;
        this.group = listener.group();
        this.client = client;
        this.counters = counters;
        InetSocketAddress src = (InetSocketAddress) client.remoteAddress();
        InetSocketAddress dst = (InetSocketAddress) client.localAddress();
        long flowHash = group.flowHash(FlowHash.TCP, src.getAddress(), src.getPort(), dst.getAddress(), dst.getPort());
        this.attempts = new TargetAttempts(listener, group, counters, flowHash, closer);
        this.flowLog = new TcpFlowLog(listener, flowHash);
    }

    Channel client() {
        return client;
    }

    @Override
    public void closeForShutdown() {
        client.close();
    }

    /**
     * Picks the next target not yet tried and connects to it; on failure tries the next one in the
     * balancer's preference order, up to {@code connect_attempts} distinct targets.
     */
    void connectNext() {
        Target next = attempts.next();
        if (next == null) {
            close(EndReason.NO_TARGET);
            return;
        }
        InetSocketAddress source = null;
        if (listener.config().transparent()) {
            source = attempts.transparentSource((InetSocketAddress) client.remoteAddress(), next);
            if (source == null) {
                if (attempts.more()) {
                    connectNext();
                } else {
                    close();
                }
                return;
            }
        }
        connect(next, source);
    }

    /** Connects to {@code next}, from {@code source} with IP_TRANSPARENT when not null. */
    private void connect(Target next, InetSocketAddress source) {
        TcpRelay backendRelay = new TcpRelay(this, false, counters);
        Bootstrap b = new Bootstrap()
                .group(client.eventLoop())
                .channelFactory(listener.transport().socketChannels(next.socketAddress()))
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                // TCP_NODELAY is on already: see TcpListener
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.RECVBUF_ALLOCATOR, READ_ALLOCATOR)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, listener.config().tcp().connectTimeout().toMillis()))
                .handler(backendRelay);
        ChannelFuture connecting;
        if (source == null) {
            connecting = b.connect(next.socketAddress());
        } else {
            listener.transport().transparent(b);
            connecting = b.connect(next.socketAddress(), source);
        }
        connecting.addListener((ChannelFuture f) -> {
            try {
                onConnect(f, next, backendRelay, source);
            } catch (RuntimeException | LinkageError e) {
                // Netty would log it and leave the client open with no target (a class that cannot
                // load while the process is out of descriptors is a LinkageError, for good).
                listener.warnRateLimited("closing a TCP connection after an unexpected error: ", e);
                attempts.released(next);
                f.channel().close();
                abort(null);
            }
        });
    }

    private void onConnect(ChannelFuture f, Target candidate, TcpRelay backendRelay, InetSocketAddress source) {
        if (closed) {
            attempts.released(candidate);
            f.channel().close();
            return;
        }
        if (!f.isSuccess()) {
            connectFailed(candidate, source, f.cause());
            return;
        }
        target = candidate;
        backend = f.channel();
        listener.stats().tcpTargetSockets().incrementAndGet();
        backendCounted = true;
        attempts.succeeded(candidate);
        ProxyProtocol proxy = listener.config().proxyProtocol();
        if (proxy != ProxyProtocol.NONE) {
            // Before any client byte: the relay starts reading the client only below.
            InetSocketAddress from = (InetSocketAddress) client.remoteAddress();
            InetSocketAddress to = (InetSocketAddress) client.localAddress();
            backend.write(Unpooled.wrappedBuffer(proxy == ProxyProtocol.V1
                    ? ProxyHeaders.v1(from, to)
                    : ProxyHeaders.v2(from, to, false)), backend.voidPromise());
        }
        TcpRelay clientRelay = client.pipeline().get(TcpRelay.class);
        clientRelay.start(client, backend);
        backendRelay.start(backend, client);
        flowLog.started((InetSocketAddress) client.remoteAddress(), (InetSocketAddress) backend.localAddress(), target);
    }

    /** The connect to {@code candidate}, from {@code source} when not null, failed. */
    private void connectFailed(Target candidate, InetSocketAddress source, Throwable cause) {
        switch (TargetAttempts.classify(cause, source)) {
            case NO_DESCRIPTOR -> {
                attempts.noDescriptor(candidate, cause);
                close(EndReason.SOCKET_ERROR);
            }
            // The client's port is bound on this host already (a connection from it in TIME_WAIT,
            // or the same client port through another listener): its IP, any free port.
            case CLIENT_PORT_IN_USE -> connect(candidate, new InetSocketAddress(source.getAddress(), 0));
            case TRANSPARENT_BIND -> {
                // Neither outlier detection nor another target helps.
                attempts.transparentBindFailed(candidate, source, cause.getMessage());
                close();
            }
            case NO_LOCAL_PORT -> {
                attempts.noLocalPort(candidate);
                nextOrClose(EndReason.NO_LOCAL_PORT);
            }
            case TARGET -> {
                attempts.failed(candidate, cause);
                nextOrClose(EndReason.NO_TARGET);
            }
        }
    }

    private void nextOrClose(EndReason none) {
        if (attempts.more()) {
            connectNext();
        } else {
            close(none);
        }
    }

    /**
     * The client channel became active: counts the connection, registers it with its loop (idle
     * sweep, overload actions, shutdown) and starts the connect to a target.
     */
    void accepted() {
        counted = true;
        counters.increment(ListenerCounter.TCP_ACCEPTED);
        listener.stats().tcpConnections().incrementAndGet();
        loopConnections.add(this);
        connectNext();
    }

    /** The client channel closed: uncounts the connection and logs its end. */
    void clientInactive() {
        if (counted) {
            counted = false;
            listener.stats().tcpConnections().decrementAndGet();
            ended();
        }
    }

    /** The target channel closed: uncounts its socket. */
    void backendInactive() {
        if (backendCounted) {
            backendCounted = false;
            listener.stats().tcpTargetSockets().decrementAndGet();
        }
    }

    /** Bytes a relay read: from the client ({@code clientSide}) or from the target. */
    void read(boolean clientSide, int bytes) {
        flowLog.read(clientSide, bytes);
    }

    /**
     * A side's socket closed (a reset, or a close without FIN): ends the connection. The client's
     * socket closed by the balancer's own shutdown counts as the shutdown.
     */
    void sideClosed(boolean clientSide) {
        close(clientSide ? (listener.closingFlows() ? EndReason.SHUTDOWN : EndReason.CLIENT_CLOSED) : EndReason.TARGET_CLOSED);
    }

    /**
     * A side's channel closed. Unless the balancer closed it, that is a reset or close without a
     * FIN ({@link #sideClosed}) — or the side's FIN after the balancer passed its peer's FIN on:
     * then half-closure is off on it and Netty closes it at that FIN, the end of both directions.
     */
    void sideInactive(boolean clientSide) {
        if (!closed && !listener.closingFlows() && (clientSide ? backendInputDone : clientInputDone)) {
            inputShutdown(clientSide);
        } else {
            sideClosed(clientSide);
        }
    }

    /** The client's socket closed: the connection's end record, once, if it is logged. */
    private void ended() {
        flowLog.ended((InetSocketAddress) client.remoteAddress(),
                backend == null ? null : (InetSocketAddress) backend.localAddress(), target);
    }

    /**
     * A side's input ended (its FIN). Returns whether that ended both directions, and so the
     * connection: then it is closing, and the FIN is not passed on as a half-close.
     */
    boolean inputShutdown(boolean clientSide) {
        if (clientSide) {
            clientInputDone = true;
        } else {
            backendInputDone = true;
        }
        if (clientInputDone && backendInputDone) {
            close(EndReason.CLOSED);
            return true;
        }
        return false;
    }

    /** Shuts {@code side}'s output down after a FIN from its peer; false when that failed. */
    boolean shutdownOutput(DuplexChannel side) {
        return listener.transport().shutdownOutput(side);
    }

    @Override
    public void idle() {
        counters.increment(ListenerCounter.TCP_CLOSED_IDLE);
        close(EndReason.IDLE);
    }

    /** As {@link #close(EndReason)}, the reason already given or yet to come (the side whose socket closes). */
    void close() {
        close(null);
    }

    /**
     * Ends both sides once, after what is already queued has been flushed; a side that has not
     * taken its bytes within {@code tcp.close_timeout} (a peer that stopped reading) is closed anyway.
     */
    void close(EndReason reason) {
        flowLog.reason(reason);
        if (closed) {
            return;
        }
        markClosed();
        closeAfterFlush(client);
        if (backend != null) {
            closeAfterFlush(backend);
        }
        if (client.isOpen() || (backend != null && backend.isOpen())) {
            long timeout = listener.config().tcp().closeTimeout().toNanos();
            client.eventLoop().schedule(this::closeTimedOut, timeout, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Ends both sides now, dropping what is queued: what the overload manager and allocation
     * failures do, when the queued bytes are the problem.
     */
    @Override
    public void abort(ListenerCounter reason) {
        if (reason != null) {
            counters.increment(reason);
            flowLog.reason(TargetAttempts.abortedAs(reason));
        }
        if (!closed) {
            markClosed();
        }
        client.close();
        if (backend != null) {
            backend.close();
        }
    }

    private void markClosed() {
        closed = true;
        loopConnections.remove(this);
        if (target != null) {
            attempts.released(target);
        }
    }

    private void closeTimedOut() {
        if (client.isOpen() || (backend != null && backend.isOpen())) {
            counters.increment(ListenerCounter.TCP_CLOSE_TIMEOUT);
            abort(null);
        }
    }

    void warnNoMemory(Throwable cause) {
        listener.warnRateLimited("closing a connection: no buffer memory within the budget: ", cause.getMessage());
    }

    boolean isClosed() {
        return closed;
    }

    /** Bytes queued on both sides waiting for their peer to take them. */
    @Override
    public long bufferedBytes() {
        return pending(client) + (backend == null ? 0 : pending(backend));
    }

    private static long pending(Channel ch) {
        ChannelOutboundBuffer out = ch.unsafe().outboundBuffer();
        return out == null ? 0 : out.totalPendingWriteBytes();
    }

    /**
     * The target closes its connections: it turned unhealthy (terminate_on_unhealthy), or its
     * deregistration delay ran out (removed, drained).
     */
    private void clientLoopClose() {
        client.eventLoop().execute(() -> close(TargetAttempts.closedByTarget(target)));
    }

    private static void closeAfterFlush(Channel ch) {
        if (ch.isActive() && pending(ch) > 0) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }
}
