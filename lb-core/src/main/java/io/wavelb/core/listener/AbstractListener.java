package io.wavelb.core.listener;

import io.netty.bootstrap.AbstractBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.unix.UnixChannelOption;
import io.wavelb.config.ListenerConfig;
import io.wavelb.core.flowlog.FlowLog;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transport.BoundedWait;
import io.wavelb.core.transport.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** What the UDP and TCP listeners share: their config, group, counters, bound address and warnings. */
public abstract class AbstractListener implements Listener {

    private volatile ListenerConfig config;
    private volatile TargetGroup group;
    private final Transport transport;
    private final ListenerStats stats;
    private final RateLimitedLog warnings;
    private volatile InetSocketAddress localAddress;
    private volatile io.wavelb.core.overload.OverloadSignal overload = new io.wavelb.core.overload.OverloadSignal();
    private volatile FlowLog flowLog = FlowLog.OFF;

    protected AbstractListener(ListenerConfig config, TargetGroup group, Transport transport, ListenerStats stats,
                               System.Logger logger) {
        this.config = config;
        this.group = group;
        this.transport = transport;
        this.stats = stats;
        // A listener keeps its name across reloads (a renamed one is another listener).
        this.warnings = new RateLimitedLog(logger, TimeUnit.SECONDS.toNanos(10), "listener '" + config.name() + "': ");
    }

    @Override
    public final ListenerConfig config() {
        return config;
    }

    @Override
    public final TargetGroup group() {
        return group;
    }

    @Override
    public final ListenerStats stats() {
        return stats;
    }

    /**
     * A reload kept this listener's address and protocol: its sockets and flows stay, and the new
     * settings and target group apply to what comes next.
     */
    /** At once: a TCP listener reads its config from here at each accept. */
    @Override
    public CompletableFuture<Void> update(ListenerConfig newConfig, TargetGroup newGroup) {
        this.config = newConfig;
        this.group = newGroup;
        return CompletableFuture.completedFuture(null);
    }

    /** Where this listener reads the overload state from (the balancer's; a fresh listener's is always normal). */
    public final void overload(io.wavelb.core.overload.OverloadSignal signal) {
        this.overload = java.util.Objects.requireNonNull(signal, "signal");
    }

    /** Where this listener's flows are logged (the balancer's; a fresh listener's logs nothing). */
    public final void flowLog(FlowLog log) {
        this.flowLog = java.util.Objects.requireNonNull(log, "log");
    }

    /** The process's flow log: read when a flow starts and ends, not per packet. */
    public final FlowLog flowLog() {
        return flowLog;
    }

    /** The overload state now: one volatile read, for accept, session open and sweeps — not per packet. */
    public final io.wavelb.core.overload.OverloadState overloadState() {
        return overload.state();
    }

    public final Transport transport() {
        return transport;
    }

    @Override
    public final InetSocketAddress localAddress() {
        return localAddress;
    }

    protected final void boundTo(InetSocketAddress address) {
        this.localAddress = address;
    }

    /** A warning about this listener, at most one per 10 s: never called per packet unthrottled. */
    public final void warnRateLimited(String message) {
        warnings.warn(message);
    }

    /**
     * As {@link #warnRateLimited(String)}, the text ({@code head + detail}) built only when it is
     * logged: for paths a flood drives, per datagram or per new flow.
     */
    public final void warnRateLimited(String head, Object detail) {
        warnings.warn(head, detail);
    }

    /** {@code head + a + middle + b}, built only when it is logged. */
    public final void warnRateLimited(String head, Object a, String middle, Object b) {
        warnings.warn(head, a, middle, b);
    }

    /** Makes the channel of an inherited descriptor (the transport's adoption, which may refuse it). */
    @FunctionalInterface
    protected interface Adopter<C extends Channel> {
        C adopt(int fd) throws IOException;
    }

    /**
     * Member {@code member}'s socket: a new one from {@code fresh} bound to {@code bindTo}, or the
     * inherited descriptor wrapped by {@code adopt} and registered (already bound, so already
     * active; left unread when the source is paused, until the listener resumes reading).
     */
    protected static <C extends Channel> ChannelFuture open(AbstractBootstrap<?, C> b, SocketSource source, int member,
                                                            InetSocketAddress bindTo, Transport transport,
                                                            ChannelFactory<? extends C> fresh, Adopter<? extends C> adopt)
            throws IOException {
        return switch (source) {
            case SocketSource.Fresh f -> {
                b.channelFactory(fresh);
                if (transport.supportsReusePort()) {
                    b.option(UnixChannelOption.SO_REUSEPORT, true);
                }
                yield b.bind(bindTo);
            }
            case SocketSource.Inherited inherited -> {
                if (inherited.paused()) {
                    b.option(ChannelOption.AUTO_READ, false);
                }
                C ch = adopt.adopt(inherited.fds().get(member));
                yield b.channelFactory(() -> ch).register();
            }
        };
    }

    /**
     * How long opening a listener waits for an event loop to bind or register one of its sockets,
     * and for a socket of a failed open to close: a stuck loop fails the open (a reload that adds
     * the listener fails and keeps the running config) instead of hanging it for good.
     */
    public static final Duration OPEN_STEP = Duration.ofSeconds(10);

    /**
     * Waits at most {@link #OPEN_STEP} for {@code opening} (a bind or a register): null when it
     * succeeded, else why not. A socket whose loop did not get to it in time is closed whenever
     * the loop does, so it never serves unseen.
     */
    protected static Throwable openFailure(ChannelFuture opening) {
        if (!opening.awaitUninterruptibly(OPEN_STEP.toMillis())) {
            opening.addListener(ChannelFutureListener.CLOSE);
            return new IOException("its event loop did not open the socket within " + OPEN_STEP.toSeconds()
                    + " s (the loop is stuck)");
        }
        return opening.isSuccess() ? null : opening.cause();
    }

    /** Closes the sockets of a failed open ({@link #closeAll}), waiting at most {@link #OPEN_STEP}. */
    protected static void closeOpened(List<Channel> channels, System.Logger log, String listener) {
        BoundedWait.await(closeAll(channels).toCompletableFuture(), OPEN_STEP, log,
                "listener '" + listener + "': closing the sockets of a failed open");
        channels.clear();
    }

    /** Each channel's descriptor, in member order: what a takeover sends. */
    protected static List<Integer> descriptors(List<Channel> channels) {
        List<Integer> fds = new ArrayList<>();
        for (Channel c : channels) {
            fds.add(((UnixChannel) c).fd().intValue());
        }
        return fds;
    }

    /** Starts or stops reading (accepting) on every channel. */
    protected static void autoRead(List<Channel> channels, boolean read) {
        for (Channel c : channels) {
            c.config().setAutoRead(read);
        }
    }

    /**
     * A socket a takeover handed over: it leaves this loop's epoll set while its descriptor is
     * still open (the new process holds a copy, so closing ours would not take it out), then closes.
     */
    protected static CompletableFuture<Void> handOver(Channel ch) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        ch.deregister().addListener(d -> ch.close().addListener(x -> done.complete(null)));
        return done;
    }

    /** Closes every channel; completes when all are closed, whatever the outcome of each. */
    protected static CompletionStage<Void> closeAll(List<Channel> channels) {
        List<CompletableFuture<Void>> closes = new ArrayList<>();
        for (Channel c : channels) {
            if (!c.isOpen() || c.isRegistered() && c.eventLoop().isShuttingDown()) {
                // Closed already, or its loop is ending (a shutdown that went on without a stuck
                // loop): the loop closes its channels as it ends, and cannot run a listener of ours
                // any more (a closed channel's done future would still hand the listener to it).
                continue;
            }
            CompletableFuture<Void> done = new CompletableFuture<>();
            c.close().addListener(f -> done.complete(null));
            closes.add(done);
        }
        return CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new));
    }
}
