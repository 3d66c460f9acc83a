package io.wavelb.core;

import io.wavelb.config.ListenerConfig;
import io.wavelb.core.listener.Listener;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.tcp.TcpListener;
import io.wavelb.core.udp.UdpListener;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntSupplier;

/** One configured listener as bound: its TCP side, its UDP side (tcp_udp has both), one set of counters. */
record BoundListener(ListenerConfig config, ListenerStats stats, TcpListener tcp, UdpListener udp) {

    List<Listener> sockets() {
        List<Listener> all = new ArrayList<>(2);
        if (tcp != null) {
            all.add(tcp);
        }
        if (udp != null) {
            all.add(udp);
        }
        return all;
    }

    String name() {
        return config.name();
    }

    /** The listener's {@code protocol} as the config spells it. */
    String protocol() {
        return config.protocol().yamlName();
    }

    /** The UDP side's open sessions, 0 without one. */
    IntSupplier udpSessions() {
        return udp == null ? () -> 0 : udp::activeFlows;
    }

    /**
     * This listener with a reloaded config and group, and what completes once its sockets' event
     * loops have them (the UDP side's loops hold their own copy).
     */
    Updated update(ListenerConfig next, TargetGroup group) {
        List<CompletableFuture<Void>> applied = new ArrayList<>(2);
        for (Listener l : sockets()) {
            applied.add(l.update(next, group));
        }
        return new Updated(new BoundListener(next, stats, tcp, udp),
                CompletableFuture.allOf(applied.toArray(CompletableFuture[]::new)));
    }

    record Updated(BoundListener listener, CompletableFuture<Void> applied) {
    }

    /** Stops taking new flows; TCP connections go on, UDP sessions end. */
    CompletableFuture<Void> stopAccepting() {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (Listener l : sockets()) {
            stops.add(l.stopAccepting().toCompletableFuture());
        }
        return CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new));
    }

    /** Removed by a reload: UDP sessions end as evicted, TCP stops accepting and its connections finish. */
    CompletableFuture<Void> retire() {
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        if (tcp != null) {
            stops.add(tcp.stopAccepting().toCompletableFuture());
        }
        if (udp != null) {
            stops.add(udp.evict().toCompletableFuture());
        }
        return CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new));
    }

    int activeFlows() {
        int n = 0;
        for (Listener l : sockets()) {
            n += l.activeFlows();
        }
        return n;
    }
}
