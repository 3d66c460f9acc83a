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
import io.netty.channel.unix.Errors;
import io.wavelb.config.ProxyProtocol;
import io.wavelb.core.balance.FlowHash;
import io.wavelb.core.flowlog.EndReason;
import io.wavelb.core.flowlog.FlowRecord;
import io.wavelb.core.health.state.HealthStatus;
import io.wavelb.core.linux.LocalPorts;
import io.wavelb.core.proxy.ProxyHeaders;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transparent.TransparentSource;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * One proxied TCP connection: the client channel, the target channel on the same event loop, and
 * the connect attempts between them. Every method runs on that one loop.
 */
final class TcpConnection implements TcpLoopConnections.LoopConnection {

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
    private final Target[] tried;
    private final long flowHash;
    private int attempts;
    private Target target;
    private Channel backend;
    private boolean clientInputDone;
    private boolean backendInputDone;
    private boolean closed;
    private final TcpLoopConnections loopConnections;
    /**
     * When the last read batch on either side ended, or a backed-up side's buffer drained
     * ({@link System#nanoTime()}): for the loop's idle sweep and shortened idle timeouts.
     */
    long lastActivityNanos = System.nanoTime();
    /** tcp.idle_timeout at accept: a reload changes it for new connections only. */
    private final long idleNanos;
    /** Index in the loop's {@link TcpLoopConnections}, or -1 when not (or no longer) in it. */
    private int slot = -1;
    /** Whether the accept was counted (the client channel became active): uncounted once, on close. */
    private boolean counted;
    /** Whether the target socket is counted in wavelb_tcp_sockets: uncounted once, on close. */
    private boolean backendCounted;
    /**
     * Flow log: whether this connection is logged (sampled once, at accept), when it started, the
     * bytes each way (counted by the relays as they read), and why it ended: the first reason
     * given wins, the later ones are consequences of it.
     */
    private final boolean logged;
    private final long startNanos = System.nanoTime();
    private long startMillis;
    private long bytesFromClient;
    private long bytesToClient;
    private EndReason endReason;
    /** How the target (draining, terminate_on_unhealthy) closes this connection from any thread. */
    private final Runnable closer = () -> clientLoopClose();

    TcpConnection(TcpListener listener, Channel client, LoopCounters counters, TcpLoopConnections loopConnections) {
        this.listener = listener;
        this.loopConnections = loopConnections;
        this.group = listener.group();
        this.client = client;
        this.counters = counters;
        this.tried = new Target[listener.config().tcp().connectAttempts()];
        this.idleNanos = listener.config().tcp().idleTimeout().toNanos();
        InetSocketAddress src = (InetSocketAddress) client.remoteAddress();
        InetSocketAddress dst = (InetSocketAddress) client.localAddress();
        this.flowHash = group.flowHash(FlowHash.TCP, src.getAddress(), src.getPort(), dst.getAddress(), dst.getPort());
        this.logged = listener.flowLog().sampled(flowHash ^ startNanos);
        if (logged) {
            startMillis = System.currentTimeMillis();
        }
    }

    Channel client() {
        return client;
    }

    @Override
    public long lastActivityNanos() {
        return lastActivityNanos;
    }

    @Override
    public long idleNanos() {
        return idleNanos;
    }

    @Override
    public int slot() {
        return slot;
    }

    @Override
    public void slot(int slot) {
        this.slot = slot;
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
        Target next = group.open(flowHash, tried, attempts);
        if (next == null) {
            counters.increment(ListenerCounter.TCP_NO_TARGET);
            listener.warnRateLimited(attempts == 0
                    ? "no target available in group '" + group.name() + "'; closing client connection"
                    : "every target tried failed to connect; closing client connection");
            close(EndReason.NO_TARGET);
            return;
        }
        tried[attempts++] = next;
        next.tcpConnectionOpened(closer);
        InetSocketAddress source = null;
        if (listener.config().transparent()) {
            // The client's IP and port, so the target sees the client; connect() falls back to any free port.
            InetSocketAddress from = (InetSocketAddress) client.remoteAddress();
            source = TransparentSource.of(from, next.socketAddress(), from.getPort());
            if (source == null) {
                next.tcpConnectionClosed(closer);
                counters.increment(ListenerCounter.DROPPED_TRANSPARENT_BIND);
                listener.warnRateLimited("transparent: client " + from + " cannot be bound towards target " + next
                        + " of the other address family");
                if (attempts < tried.length) {
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
        connecting.addListener((ChannelFuture f) -> onConnect(f, next, backendRelay, source));
    }

    private static final int EADDRINUSE = 98;

    /** Whether the connect failed at its bind (Netty's native bind error names the call). */
    private static boolean bindFailed(Throwable cause) {
        return cause instanceof Errors.NativeIoException e && e.getMessage() != null && e.getMessage().startsWith("bind(")
                || cause instanceof java.net.BindException;
    }

    private static int errno(Throwable cause) {
        return cause instanceof Errors.NativeIoException e ? -e.expectedErr() : 0;
    }

    private void onConnect(ChannelFuture f, Target candidate, TcpRelay backendRelay, InetSocketAddress source) {
        if (closed) {
            candidate.tcpConnectionClosed(closer);
            f.channel().close();
            return;
        }
        if (!f.isSuccess() && source != null && bindFailed(f.cause())) {
            if (source.getPort() != 0 && errno(f.cause()) == EADDRINUSE) {
                // The client's port is bound on this host already (a connection from it in
                // TIME_WAIT, or the same client port through another listener): its IP, any free port.
                connect(candidate, new InetSocketAddress(source.getAddress(), 0));
                return;
            }
            // Not the target's fault (no CAP_NET_RAW, no free port): neither outlier detection nor another target helps.
            candidate.tcpConnectionClosed(closer);
            counters.increment(ListenerCounter.DROPPED_TRANSPARENT_BIND);
            listener.warnRateLimited("transparent: cannot bind the client's address " + source + " towards " + candidate
                    + ": " + f.cause().getMessage());
            close();
            return;
        }
        if (!f.isSuccess() && source == null && LocalPorts.exhausted(f.cause())) {
            // This host has no port left towards that target: not the target's failure (no outlier
            // run), and another target's connections are another 4-tuple space.
            candidate.tcpConnectionClosed(closer);
            counters.increment(ListenerCounter.DROPPED_NO_LOCAL_PORT);
            listener.warnRateLimited("no free local port for a connection to ", candidate, ": every port of"
                    + " net.ipv4.ip_local_port_range holds a connection to it (TIME_WAIT ones included); the range: ",
                    LocalPorts.DESCRIBED);
            if (attempts < tried.length) {
                connectNext();
            } else {
                close(EndReason.NO_LOCAL_PORT);
            }
            return;
        }
        if (!f.isSuccess()) {
            candidate.tcpConnectionClosed(closer);
            group.flowFailed(candidate);
            counters.increment(ListenerCounter.TCP_CONNECT_FAILURES);
            listener.warnRateLimited("connect to target ", candidate, " failed: ", f.cause().getMessage());
            if (attempts < tried.length) {
                connectNext();
            } else {
                close(EndReason.NO_TARGET);
            }
            return;
        }
        target = candidate;
        backend = f.channel();
        listener.stats().tcpTargetSockets().incrementAndGet();
        backendCounted = true;
        group.flowSucceeded(candidate);
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
        if (logged && listener.flowLog().onStart()) {
            listener.flowLog().record(record(FlowRecord.Event.START));
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
        if (clientSide) {
            bytesFromClient += bytes;
        } else {
            bytesToClient += bytes;
        }
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
        if (!logged) {
            return;
        }
        if (endReason == null) {
            endReason = listener.closingFlows() ? EndReason.SHUTDOWN : EndReason.CLIENT_CLOSED;
        }
        listener.flowLog().record(record(FlowRecord.Event.END));
    }

    private FlowRecord record(FlowRecord.Event event) {
        long duration = event == FlowRecord.Event.START ? 0 : System.nanoTime() - startNanos;
        return new FlowRecord(event, listener.config().name(), "tcp", (InetSocketAddress) client.remoteAddress(),
                backend == null ? null : (InetSocketAddress) backend.localAddress(),
                target == null ? null : target.socketAddress(), startMillis, duration, bytesFromClient, bytesToClient,
                -1, -1, event == FlowRecord.Event.START ? null : endReason, null);
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
        if (endReason == null) {
            endReason = reason;
        }
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
            if (endReason == null) {
                endReason = switch (reason) {
                    case TCP_CLOSED_IDLE -> EndReason.IDLE;
                    case TCP_CLOSED_OVERLOAD -> EndReason.OVERLOAD;
                    case DROPPED_NO_MEMORY -> EndReason.NO_MEMORY;
                    default -> throw new IllegalArgumentException(reason + " does not end a TCP connection");
                };
            }
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
            target.tcpConnectionClosed(closer);
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
        client.eventLoop().execute(() -> {
            Target t = target;
            close(t != null && t.health() == HealthStatus.UNHEALTHY && !t.draining()
                    ? EndReason.TARGET_UNHEALTHY : EndReason.TARGET_REMOVED);
        });
    }

    private static void closeAfterFlush(Channel ch) {
        if (ch.isActive() && pending(ch) > 0) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }
}
