package io.wavelb.core.listener;

import io.wavelb.config.ListenerConfig;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** A bound listening address of one protocol. A {@code tcp_udp} listener is two of these. */
public interface Listener {

    ListenerConfig config();

    TargetGroup group();

    ListenerStats stats();

    /** The address actually bound (its port is known even when the config asked for port 0). */
    InetSocketAddress localAddress();

    /**
     * Takes a reloaded config and group for new flows; open flows keep what they started with.
     * Completes once every part of the listener has them.
     */
    CompletableFuture<Void> update(ListenerConfig newConfig, TargetGroup newGroup);

    /** Stops taking new flows: closes the listening sockets. Existing TCP connections go on. */
    CompletionStage<Void> stopAccepting();

    /** Flows still open (UDP sessions or TCP connections). */
    int activeFlows();

    /** Closes every open flow now. */
    CompletionStage<Void> closeFlows();
}
