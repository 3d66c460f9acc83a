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
import io.wavelb.core.listener.Bind;
import io.wavelb.core.listener.Listener;
import io.wavelb.core.listener.RateLimitedLog;
import io.wavelb.core.session.SessionBudget;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transport.Transport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * A UDP listener: one SO_REUSEPORT socket per event loop on the same address, so the kernel's
 * 4-tuple hash keeps every client on one loop and each loop's session table stays private to it.
 * Without SO_REUSEPORT (NIO) there is one socket on one loop.
 */
public final class UdpListener implements Listener {

    private static final System.Logger LOG = System.getLogger(UdpListener.class.getName());

    private final ListenerConfig config;
    private final TargetGroup group;
    private final Transport transport;
    private final ListenerStats stats;
    private final SessionBudget budget;
    private final RateLimitedLog warnings = new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));
    private final List<Channel> channels = new ArrayList<>();
    private final List<UdpLoopHandler> handlers = new ArrayList<>();
    private volatile InetSocketAddress localAddress;

    public UdpListener(ListenerConfig config, TargetGroup group, Transport transport, ListenerStats stats) {
        this.config = config;
        this.group = group;
        this.transport = transport;
        this.stats = stats;
        this.budget = new SessionBudget(config.udp().maxSessions());
    }

    /**
     * Binds one socket per event loop. The first bind fixes the port (it may be 0 in tests), the
     * others join it. Blocks until bound; throws with the address named when it cannot bind.
     */
    public void bind(EventLoopGroup loops, InetSocketAddress address) throws Exception {
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
                    .option(ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(config.udp().maxDatagramSize() + 1))
                    .handler(new ChannelInitializer<DatagramChannel>() {
                        @Override
                        protected void initChannel(DatagramChannel ch) {
                            ch.pipeline().addLast(handler);
                        }
                    });
            if (transport.supportsReusePort()) {
                b.option(UnixChannelOption.SO_REUSEPORT, true);
            }
            ChannelFuture f = b.bind(bindTo).awaitUninterruptibly();
            if (!f.isSuccess()) {
                closeChannels();
                throw Bind.failure("udp", config.name(), bindTo, f.cause());
            }
            channels.add(f.channel());
            handlers.add(handler);
            if (bindTo.getPort() == 0) {
                bindTo = new InetSocketAddress(bindTo.getAddress(), ((InetSocketAddress) f.channel().localAddress()).getPort());
            }
        }
        localAddress = bindTo;
    }

    private void closeChannels() {
        for (Channel c : channels) {
            c.close().awaitUninterruptibly();
        }
        channels.clear();
    }

    @Override
    public ListenerConfig config() {
        return config;
    }

    @Override
    public TargetGroup group() {
        return group;
    }

    @Override
    public ListenerStats stats() {
        return stats;
    }

    Transport transport() {
        return transport;
    }

    SessionBudget budget() {
        return budget;
    }

    void warnRateLimited(String message) {
        warnings.warn("listener '" + config.name() + "': " + message);
    }

    @Override
    public InetSocketAddress localAddress() {
        return localAddress;
    }

    /** UDP has nothing to drain at the socket level: stopping closes the sockets and every session. */
    @Override
    public CompletionStage<Void> stopAccepting() {
        return closeFlows();
    }

    @Override
    public int activeFlows() {
        return budget.inUse();
    }

    @Override
    public CompletionStage<Void> closeFlows() {
        List<CompletableFuture<Void>> closes = new ArrayList<>();
        for (Channel c : channels) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            c.close().addListener(f -> done.complete(null));
            closes.add(done);
        }
        return CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new));
    }
}
