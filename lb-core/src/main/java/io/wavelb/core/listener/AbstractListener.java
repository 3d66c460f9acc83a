package io.wavelb.core.listener;

import io.netty.channel.Channel;
import io.wavelb.config.ListenerConfig;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transport.Transport;
import java.net.InetSocketAddress;
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

    protected AbstractListener(ListenerConfig config, TargetGroup group, Transport transport, ListenerStats stats,
                               System.Logger logger) {
        this.config = config;
        this.group = group;
        this.transport = transport;
        this.stats = stats;
        this.warnings = new RateLimitedLog(logger, TimeUnit.SECONDS.toNanos(10));
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
    public void update(ListenerConfig newConfig, TargetGroup newGroup) {
        this.config = newConfig;
        this.group = newGroup;
    }

    /** Where this listener reads the overload state from (the balancer's; a fresh listener's is always normal). */
    public final void overload(io.wavelb.core.overload.OverloadSignal signal) {
        this.overload = java.util.Objects.requireNonNull(signal, "signal");
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
        warnings.warn("listener '" + config.name() + "': " + message);
    }

    /** Closes every channel; completes when all are closed, whatever the outcome of each. */
    protected static CompletionStage<Void> closeAll(List<Channel> channels) {
        List<CompletableFuture<Void>> closes = new ArrayList<>();
        for (Channel c : channels) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            c.close().addListener(f -> done.complete(null));
            closes.add(done);
        }
        return CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new));
    }
}
