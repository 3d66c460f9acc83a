package io.wavelb.core.tcp;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.wavelb.core.balance.FlowHash;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import java.net.InetSocketAddress;

/**
 * One proxied TCP connection: the client channel, the target channel on the same event loop, and
 * the connect attempts between them. Every method runs on that one loop.
 */
final class TcpConnection {

    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

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
    /** How the target (draining, terminate_on_unhealthy) closes this connection from any thread. */
    private final Runnable closer = () -> clientLoopClose();
    private final ChannelFutureListener closeOnFailure = f -> {
        if (!f.isSuccess()) {
            close();
        }
    };

    TcpConnection(TcpListener listener, Channel client, LoopCounters counters) {
        this.listener = listener;
        this.group = listener.group();
        this.client = client;
        this.counters = counters;
        this.tried = new Target[listener.config().tcp().connectAttempts()];
        InetSocketAddress src = (InetSocketAddress) client.remoteAddress();
        InetSocketAddress dst = (InetSocketAddress) client.localAddress();
        this.flowHash = group.flowHash(FlowHash.TCP, src.getAddress(), src.getPort(), dst.getAddress(), dst.getPort());
    }

    Channel client() {
        return client;
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
            close();
            return;
        }
        tried[attempts++] = next;
        TcpRelay backendRelay = new TcpRelay(this, false, counters);
        Bootstrap b = new Bootstrap()
                .group(client.eventLoop())
                .channel(listener.transport().socketChannelClass())
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
                        (int) Math.min(Integer.MAX_VALUE, listener.config().tcp().connectTimeout().toMillis()))
                .handler(backendRelay);
        b.connect(next.socketAddress()).addListener((ChannelFuture f) -> onConnect(f, next, backendRelay));
    }

    private void onConnect(ChannelFuture f, Target candidate, TcpRelay backendRelay) {
        if (closed) {
            group.release(candidate);
            f.channel().close();
            return;
        }
        if (!f.isSuccess()) {
            group.release(candidate);
            group.flowFailed(candidate);
            counters.increment(ListenerCounter.TCP_CONNECT_FAILURES);
            listener.warnRateLimited("connect to target " + candidate + " failed: " + f.cause().getMessage());
            if (attempts < tried.length) {
                connectNext();
            } else {
                close();
            }
            return;
        }
        target = candidate;
        backend = f.channel();
        candidate.tcpConnectionOpened(closer);
        group.flowSucceeded(candidate);
        io.wavelb.config.ProxyProtocol proxy = listener.config().proxyProtocol();
        if (proxy != io.wavelb.config.ProxyProtocol.NONE) {
            // Before any client byte: the relay starts reading the client only below.
            InetSocketAddress from = (InetSocketAddress) client.remoteAddress();
            InetSocketAddress to = (InetSocketAddress) client.localAddress();
            backend.write(Unpooled.wrappedBuffer(proxy == io.wavelb.config.ProxyProtocol.V1
                    ? io.wavelb.core.proxy.ProxyHeaders.v1(from, to)
                    : io.wavelb.core.proxy.ProxyHeaders.v2(from, to, false)), backend.voidPromise());
        }
        TcpRelay clientRelay = client.pipeline().get(TcpRelay.class);
        clientRelay.start(client, backend);
        backendRelay.start(backend, client);
    }

    void inputShutdown(boolean clientSide) {
        if (clientSide) {
            clientInputDone = true;
        } else {
            backendInputDone = true;
        }
        if (clientInputDone && backendInputDone) {
            close();
        }
    }

    ChannelFutureListener closeOnFailure() {
        return closeOnFailure;
    }

    void idle() {
        counters.increment(ListenerCounter.TCP_CLOSED_IDLE);
        close();
    }

    /** Ends both sides once, after what is already queued has been flushed. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (target != null) {
            group.release(target);
            target.tcpConnectionClosed(closer);
        }
        closeAfterFlush(client);
        if (backend != null) {
            closeAfterFlush(backend);
        }
    }

    private void clientLoopClose() {
        client.eventLoop().execute(this::close);
    }

    private static void closeAfterFlush(Channel ch) {
        if (ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        } else {
            ch.close();
        }
    }
}
