package io.wavelb.core.transport;

import io.netty.channel.SelectStrategy;
import io.netty.util.IntSupplier;

/**
 * {@code runtime.busy_poll}: an event loop polls its epoll set without sleeping ({@code epoll_wait}
 * with a zero timeout) for {@code spinNanos} after the last time it found I/O, then sleeps as
 * usual. A request/reply exchange whose next packet comes back within the window costs no
 * wake-up of a sleeping thread on this side (on a VM, no halt and no interrupt to end it). The
 * window is bounded, so an idle loop still sleeps and its timers still run: between two polls the
 * loop returns to its tasks and scheduled work. One per loop; used by that loop only.
 */
final class BusyPollStrategy implements SelectStrategy {

    private final long spinNanos;
    private long lastIoNanos;

    BusyPollStrategy(long spinNanos) {
        this.spinNanos = spinNanos;
        this.lastIoNanos = System.nanoTime();
    }

    @Override
    public int calculateStrategy(IntSupplier selectNow, boolean hasTasks) throws Exception {
        int ready = selectNow.get();
        if (ready > 0) {
            lastIoNanos = System.nanoTime();
            return ready;
        }
        if (hasTasks) {
            return ready;
        }
        return System.nanoTime() - lastIoNanos < spinNanos ? SelectStrategy.CONTINUE : SelectStrategy.SELECT;
    }
}
