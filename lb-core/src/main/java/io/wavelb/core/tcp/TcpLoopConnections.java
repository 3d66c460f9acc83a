package io.wavelb.core.tcp;

import io.netty.channel.EventLoop;
import io.wavelb.core.overload.OverloadState;
import io.wavelb.core.stats.ListenerCounter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The open TCP connections of one listener on one event loop, for the overload actions that act
 * on them: shortened idle timeouts and closing the biggest holders of buffered bytes. Owned by
 * that loop: every method runs on it, so the set needs no lock.
 */
final class TcpLoopConnections {

    private final EventLoop loop;
    private final Set<TcpConnection> open = new HashSet<>();

    TcpLoopConnections(EventLoop loop) {
        this.loop = loop;
    }

    EventLoop loop() {
        return loop;
    }

    void add(TcpConnection c) {
        open.add(c);
    }

    void remove(TcpConnection c) {
        open.remove(c);
    }

    /**
     * Applies an overload state on this loop: closes connections idle for longer than the shortened
     * idle timeout, then, when shedding, the connections holding the most buffered bytes until
     * {@code bytesToFree} are released.
     *
     * @return bytes released by shedding
     */
    long apply(OverloadState state, long configuredIdleNanos, long bytesToFree, long nowNanos) {
        if (open.isEmpty()) {
            return 0;
        }
        if (state.reduceTimeouts()) {
            long idle = state.idleNanos(configuredIdleNanos);
            List<TcpConnection> quiet = new ArrayList<>();
            for (TcpConnection c : open) {
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
        for (TcpConnection c : open) {
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

    private record Holder(TcpConnection connection, long bytes) {
    }
}
