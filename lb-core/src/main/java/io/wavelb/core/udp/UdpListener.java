package io.wavelb.core.udp;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.unix.UnixChannelOption;
import io.netty.util.concurrent.EventExecutor;
import io.wavelb.config.ListenerConfig;
import io.wavelb.core.listener.AbstractListener;
import io.wavelb.core.listener.Bind;
import io.wavelb.core.session.SessionBudget;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transport.Transport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A UDP listener: one SO_REUSEPORT socket per event loop on the same address, so the kernel's
 * 4-tuple hash keeps every client on one loop and each loop's session table stays private to it.
 * Without SO_REUSEPORT (NIO) there is one socket on one loop.
 */
public final class UdpListener extends AbstractListener {

    private static final System.Logger LOG = System.getLogger(UdpListener.class.getName());

    private final SessionBudget budget;
    private final List<Channel> channels = new ArrayList<>();
    private final List<UdpLoopHandler> handlers = new java.util.concurrent.CopyOnWriteArrayList<>();

    public UdpListener(ListenerConfig config, TargetGroup group, Transport transport, ListenerStats stats) {
        super(config, group, transport, stats, LOG);
        this.budget = new SessionBudget(sessionLimit(config, transport, Runtime.getRuntime().maxMemory(), true));
    }

    /**
     * Heap one UDP session holds on io_uring, measured (2000 idle sessions, Netty 4.2.18): each
     * io_uring datagram channel preallocates 512 message headers, about 170 KiB of heap and 330 KiB
     * in all; on epoll a session holds under 1 KiB (benchmarks/README.md, "io_uring").
     */
    static final long IO_URING_SESSION_HEAP_BYTES = 170 * 1024;

    /**
     * {@code udp.max_sessions}, except on io_uring, where it is capped so the sessions fit in half
     * the heap: past that the JVM would die of OutOfMemoryError, where a counted drop
     * ({@code session_cap}) is the promise.
     */
    static int sessionLimit(ListenerConfig config, Transport transport, long maxHeapBytes, boolean warn) {
        int configured = config.udp().maxSessions();
        if (!transport.name().equals("io_uring")) {
            return configured;
        }
        int fits = (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxHeapBytes / 2 / IO_URING_SESSION_HEAP_BYTES));
        if (configured <= fits) {
            return configured;
        }
        if (warn) {
            LOG.log(System.Logger.Level.WARNING, "listener '" + config.name() + "': on io_uring each UDP session holds about "
                    + IO_URING_SESSION_HEAP_BYTES / 1024 + " KiB of heap (Netty preallocates 512 message headers per datagram"
                    + " socket), so udp.max_sessions " + configured + " is capped at " + fits + " for this "
                    + maxHeapBytes / (1024 * 1024) + " MiB heap; use runtime.transport epoll for UDP at scale");
        }
        return fits;
    }

    /**
     * Binds one socket per event loop. The first bind fixes the port (it may be 0 in tests), the
     * others join it. Blocks until bound; throws with the address named when it cannot bind.
     */
    public void bind(EventLoopGroup loops, InetSocketAddress address) throws Exception {
        ListenerConfig config = config();
        Transport transport = transport();
        List<EventLoop> targets = new ArrayList<>();
        for (EventExecutor e : loops) {
            targets.add((EventLoop) e);
            if (!transport.supportsReusePort()) {
                break;
            }
        }
        Bind.probeFree("udp", config.name(), address);
        InetSocketAddress bindTo = address;
        for (EventLoop loop : targets) {
            UdpLoopHandler handler = new UdpLoopHandler(this);
            Bootstrap b = new Bootstrap()
                    .group(loop)
                    .channelFactory(transport::newDatagramChannel)
                    .option(ChannelOption.RECVBUF_ALLOCATOR, receiveAllocator(config.udp().maxDatagramSize()))
                    .handler(new ChannelInitializer<DatagramChannel>() {
                        @Override
                        protected void initChannel(DatagramChannel ch) {
                            ch.pipeline().addLast(handler);
                        }
                    });
            if (transport.supportsReusePort()) {
                b.option(UnixChannelOption.SO_REUSEPORT, true);
            }
            if (batchedReceive()) {
                b.option(io.netty.channel.epoll.EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, config.udp().maxDatagramSize() + 1);
            }
            ChannelFuture f = b.bind(bindTo).awaitUninterruptibly();
            if (!f.isSuccess()) {
                closeChannels();
                throw Bind.failure("udp", config.name(), bindTo, f.cause());
            }
            channels.add(f.channel());
            applyReceiveBuffer((DatagramChannel) f.channel(), config.udp().receiveBuffer(), channels.size() == 1);
            handlers.add(handler);
            if (bindTo.getPort() == 0) {
                bindTo = new InetSocketAddress(bindTo.getAddress(), ((InetSocketAddress) f.channel().localAddress()).getPort());
            }
        }
        boundTo(bindTo);
        if (batchedReceive()) {
            LOG.log(System.Logger.Level.DEBUG, "listener '" + config.name() + "': up to " + RECEIVE_BATCH
                    + " datagrams per recvmmsg");
        }
    }

    /**
     * Datagrams read per system call on the listener sockets, with recvmmsg on epoll: 16 unless
     * {@code -Dwavelb.udp.receiveBatch=N} says otherwise (1 turns it off). Measured side by side
     * with NGINX in benchmarks/README.md: about 2x the datagrams per proxy core at a fixed rate and
     * 1.5x the new flows/s of one datagram per call.
     */
    static final int RECEIVE_BATCH = Math.max(1, Math.min(64, Integer.getInteger("wavelb.udp.receiveBatch", 16)));

    boolean batchedReceive() {
        return RECEIVE_BATCH > 1 && transport().name().equals("epoll");
    }

    /** One datagram's room (plus the byte that reveals an oversize one), times the batch. */
    io.netty.channel.RecvByteBufAllocator receiveAllocator(int maxDatagramSize) {
        return new FixedRecvByteBufAllocator((maxDatagramSize + 1) * (batchedReceive() ? RECEIVE_BATCH : 1));
    }

    private void closeChannels() {
        for (Channel c : channels) {
            c.close().awaitUninterruptibly();
        }
        channels.clear();
    }

    SessionBudget budget() {
        return budget;
    }

    /** SO_RCVBUF of each listener socket as the kernel reports it (doubled from what was set). */
    public List<Integer> receiveBufferSizes() {
        List<Integer> sizes = new ArrayList<>();
        for (Channel c : channels) {
            sizes.add(((DatagramChannel) c).config().getReceiveBufferSize());
        }
        return sizes;
    }

    /**
     * Sets SO_RCVBUF when configured. Linux silently caps it at net.core.rmem_max, so the size the
     * socket really got is read back and a shortfall is said once, with the sysctl to raise.
     */
    private void applyReceiveBuffer(DatagramChannel channel, int bytes, boolean report) {
        if (bytes <= 0) {
            return;
        }
        channel.config().setReceiveBufferSize(bytes);
        // The kernel doubles the value for its bookkeeping and reports the doubled size.
        int got = channel.config().getReceiveBufferSize() / 2;
        if (report && got < bytes) {
            LOG.log(System.Logger.Level.WARNING, "listener '" + config().name() + "': udp.receive_buffer " + bytes
                    + " capped by the kernel to " + got + " bytes; raise net.core.rmem_max (sysctl -w net.core.rmem_max="
                    + bytes + ") to get it");
        }
    }

    @Override
    public void update(ListenerConfig newConfig, TargetGroup newGroup) {
        io.wavelb.config.UdpSettings before = config().udp();
        super.update(newConfig, newGroup);
        if (newConfig.udp().receiveBuffer() != before.receiveBuffer()) {
            for (int i = 0; i < channels.size(); i++) {
                applyReceiveBuffer((DatagramChannel) channels.get(i), newConfig.udp().receiveBuffer(), i == 0);
            }
        }
        budget.limit(sessionLimit(newConfig, transport(), Runtime.getRuntime().maxMemory(),
                newConfig.udp().maxSessions() != before.maxSessions()));
        for (UdpLoopHandler h : handlers) {
            h.loop().execute(h::settingsChanged);
        }
    }

    /** Ends the sessions pinned to {@code target} on every loop (its deregistration delay is over). */
    public void purge(io.wavelb.core.target.Target target) {
        for (UdpLoopHandler h : handlers) {
            h.loop().execute(() -> h.purge(target));
        }
    }

    /** UDP has nothing to drain at the socket level: stopping closes the sockets and every session. */
    @Override
    public CompletionStage<Void> stopAccepting() {
        return closeFlows();
    }

    /** A reload removed this listener: its sessions end as evicted, then its sockets close. */
    public CompletionStage<Void> evict() {
        java.util.List<java.util.concurrent.CompletableFuture<Void>> done = new ArrayList<>();
        for (UdpLoopHandler h : handlers) {
            done.add(java.util.concurrent.CompletableFuture.runAsync(h::evictAll, h.loop()));
        }
        return java.util.concurrent.CompletableFuture.allOf(done.toArray(java.util.concurrent.CompletableFuture[]::new))
                .thenCompose(v -> closeFlows());
    }

    @Override
    public int activeFlows() {
        return budget.inUse();
    }

    @Override
    public CompletionStage<Void> closeFlows() {
        return closeAll(channels);
    }
}
