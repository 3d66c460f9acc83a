package io.wavelb.core.tcp;

import io.netty.channel.EventLoop;
import io.wavelb.core.overload.OverloadState;
import io.wavelb.core.stats.ListenerCounter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The open TCP connections of one listener on one event loop: the idle sweep, the overload
 * actions (shortened idle timeouts, closing the biggest holders of buffered bytes) and the
 * shutdown act on them. Owned by that loop: every method but {@link #loop()} runs on it, so the
 * list needs no lock.
 *
 * <p>Idle timeouts are one sweep per loop over its connections' last-activity timestamps, not a
 * timer per connection (as UDP's sessions, Envoy's model): a connection costs no scheduled task,
 * no cancel and no write listener (what an {@code IdleStateHandler} per channel costs). The sweep
 * runs only while the loop has connections, every quarter of the shortest idle timeout among
 * them, within 50 ms..1 s: a connection is closed late by at most that much.
 */
final class TcpLoopConnections {

    private final EventLoop loop;
    /** Dense: a connection knows its index ({@link LoopConnection#slot}), so removal is a swap. */
    private LoopConnection[] open = new LoopConnection[16];
    private int size;
    private boolean sweeping;

    TcpLoopConnections(EventLoop loop) {
        this.loop = loop;
    }

    EventLoop loop() {
        return loop;
    }

    void add(LoopConnection c) {
        if (size == open.length) {
            open = Arrays.copyOf(open, size * 2);
        }
        c.slot = size;
        open[size++] = c;
        if (!sweeping) {
            sweeping = true;
            loop.schedule(this::sweep, sweepIntervalNanos(c.idleNanos), TimeUnit.NANOSECONDS);
        }
    }

    void remove(LoopConnection c) {
        int i = c.slot;
        if (i < 0) {
            return;
        }
        LoopConnection last = open[--size];
        open[i] = last;
        last.slot = i;
        open[size] = null;
        c.slot = -1;
    }

    int size() {
        return size;
    }

    /** Closes the connections idle for their idle timeout; runs again while any are open. */
    private void sweep() {
        long now = System.nanoTime();
        List<LoopConnection> idle = null;
        long shortest = Long.MAX_VALUE;
        for (int i = 0; i < size; i++) {
            LoopConnection c = open[i];
            if (now - c.lastActivityNanos >= c.idleNanos) {
                if (idle == null) {
                    idle = new ArrayList<>();
                }
                idle.add(c);
            } else {
                shortest = Math.min(shortest, c.idleNanos);
            }
        }
        if (idle != null) {
            idle.forEach(LoopConnection::idle);
        }
        if (size > 0) {
            loop.schedule(this::sweep, sweepIntervalNanos(shortest), TimeUnit.NANOSECONDS);
        } else {
            sweeping = false;
        }
    }

    /** A quarter of the idle timeout, within 50 ms..1 s (as UDP's sweep). */
    static long sweepIntervalNanos(long idleNanos) {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(50), Math.min(TimeUnit.SECONDS.toNanos(1), idleNanos / 4));
    }

    /** Closes every connection's client side: the balancer's shutdown (their end reason). */
    void closeClients() {
        for (LoopConnection c : Arrays.copyOf(open, size)) {
            c.closeForShutdown();
        }
    }

    /**
     * Applies an overload state on this loop: closes connections idle for longer than the shortened
     * idle timeout, then, when shedding, the connections holding the most buffered bytes until
     * {@code bytesToFree} are released.
     *
     * @return bytes released by shedding
     */
    long apply(OverloadState state, long configuredIdleNanos, long bytesToFree, long nowNanos) {
        if (size == 0) {
            return 0;
        }
        if (state.reduceTimeouts()) {
            long idle = state.idleNanos(configuredIdleNanos);
            List<LoopConnection> quiet = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                LoopConnection c = open[i];
                if (nowNanos - c.lastActivityNanos >= idle) {
                    quiet.add(c);
                }
            }
            // Abortive: under memory pressure the bytes a quiet connection still queues are stuck.
            quiet.forEach(c -> c.abort(ListenerCounter.TCP_CLOSED_IDLE));
        }
        if (!state.shedConnections() || bytesToFree <= 0) {
            return 0;
        }
        // Each connection's buffered bytes taken once: summing its queues inside the comparator
        // would redo it O(n log n) times.
        List<Holder> holders = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            LoopConnection c = open[i];
            long bytes = c.bufferedBytes();
            if (bytes > 0) {
                holders.add(new Holder(c, bytes));
            }
        }
        holders.sort(Comparator.comparingLong(Holder::bytes).reversed());
        long freed = 0;
        for (Holder h : holders) {
            if (freed >= bytesToFree) {
                break;
            }
            freed += h.bytes();
            h.connection().abort(ListenerCounter.TCP_CLOSED_OVERLOAD);
        }
        return freed;
    }

    private record Holder(LoopConnection connection, long bytes) {
    }

    /** One open connection as its loop's sweep, overload actions and shutdown see it; on the loop only. */
    abstract static class LoopConnection {

        /**
         * When the last read batch on either side ended, or a backed-up side's buffer drained
         * ({@link System#nanoTime()}): for the idle sweep and shortened idle timeouts.
         */
        long lastActivityNanos = System.nanoTime();
        /** tcp.idle_timeout at accept: a reload changes it for new connections only. */
        final long idleNanos;
        /** Index in the loop's list, or -1 when not (or no longer) in it. */
        int slot = -1;

        LoopConnection(long idleNanos) {
            this.idleNanos = idleNanos;
        }

        /** Idle for its timeout: counted and closed. */
        abstract void idle();

        /** Closes both sides now, dropping what is queued, counted as {@code reason} (null: no count). */
        abstract void abort(ListenerCounter reason);

        /** Bytes queued on both sides waiting for their peer to take them. */
        abstract long bufferedBytes();

        /** The balancer's shutdown: closes the client side (the end reason is the shutdown). */
        abstract void closeForShutdown();
    }
}
