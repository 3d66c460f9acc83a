package io.wavelb.core.stats;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The counters of one listener: one {@link LoopCounters} per event loop (created on first use by
 * that loop), plus the gauges of open TCP client connections and target sockets, and what the
 * kernel dropped on a UDP listener's sockets before wavelb read it.
 */
public final class ListenerStats {

    private final String listener;
    private final ConcurrentHashMap<Thread, LoopCounters> perLoop = new ConcurrentHashMap<>();
    private final AtomicInteger tcpConnections = new AtomicInteger();
    private final AtomicInteger tcpTargetSockets = new AtomicInteger();
    /** Set by the UDP listener once its sockets are bound; read at scrape time. */
    private volatile LongSupplier kernelDrops = () -> 0;

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

    /**
     * Datagrams the kernel dropped on the listener's sockets for want of receive-queue room, before
     * wavelb read them: the sockets' own count, which a takeover's sockets carry along. 0 where the
     * transport cannot say (NIO) or for a TCP listener.
     */
    public long kernelDrops() {
        return kernelDrops.getAsLong();
    }

    /** Where {@link #kernelDrops} reads from: the UDP listener's sockets, set when they are bound. */
    public void kernelDrops(LongSupplier source) {
        this.kernelDrops = source;
    }

    /** Open sockets to targets, closing ones included: counted from connect until the socket is closed. */
    public AtomicInteger tcpTargetSockets() {
        return tcpTargetSockets;
    }
}
