package io.wavelb.core.stats;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The counters of one listener: one {@link LoopCounters} per event loop (created on first use by
 * that loop), plus the gauges of open TCP client connections and target sockets.
 */
public final class ListenerStats {

    private final String listener;
    private final ConcurrentHashMap<Thread, LoopCounters> perLoop = new ConcurrentHashMap<>();
    private final AtomicInteger tcpConnections = new AtomicInteger();
    private final AtomicInteger tcpTargetSockets = new AtomicInteger();

    public ListenerStats(String listener) {
        this.listener = listener;
    }

    public String listener() {
        return listener;
    }

    /** The counters of the calling event loop; look this up once per handler, not per packet. */
    public LoopCounters forCurrentLoop() {
        return perLoop.computeIfAbsent(Thread.currentThread(), t -> new LoopCounters());
    }

    public long total(ListenerCounter counter) {
        long sum = 0;
        for (LoopCounters c : perLoop.values()) {
            sum += c.get(counter);
        }
        return sum;
    }

    public AtomicInteger tcpConnections() {
        return tcpConnections;
    }

    /** Open sockets to targets, closing ones included: counted from connect until the socket is closed. */
    public AtomicInteger tcpTargetSockets() {
        return tcpTargetSockets;
    }
}
