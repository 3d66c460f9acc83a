package io.wavelb.core.session;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code max_sessions} cap of one listener, shared by its event loops. Touched once per session
 * opened or closed, never per datagram, so one atomic is cheap enough.
 */
public final class SessionBudget {

    private volatile int limit;
    private final AtomicInteger inUse = new AtomicInteger();
    /** When a new session was last refused ({@link System#nanoTime()}); 0 = never. */
    private volatile long refusedAtNanos;

    public SessionBudget(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit " + limit + " (expected >= 1)");
        }
        this.limit = limit;
    }

    /** Takes one slot; false when the cap is reached (the caller counts and drops). */
    public boolean tryAcquire() {
        while (true) {
            int n = inUse.get();
            if (n >= limit) {
                return false;
            }
            if (inUse.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /**
     * Records that a new client found the cap reached (after eviction could not make room): for
     * {@link #refusedWithin}. Written at most every 10 ms, so a flood of new clients does not make
     * every loop write the shared field per datagram.
     */
    public void refused(long nowNanos) {
        long last = refusedAtNanos;
        if (last == 0 || nowNanos - last > 10_000_000L) {
            refusedAtNanos = nowNanos == 0 ? 1 : nowNanos;
        }
    }

    /** Whether a new client was refused in the last {@code windowNanos}: the listener is under session pressure. */
    public boolean refusedWithin(long nowNanos, long windowNanos) {
        long last = refusedAtNanos;
        return last != 0 && nowNanos - last <= windowNanos;
    }

    public void release() {
        int after = inUse.decrementAndGet();
        if (after < 0) {
            inUse.incrementAndGet();
            throw new IllegalStateException("session budget released more often than acquired");
        }
    }

    public int inUse() {
        return inUse.get();
    }

    public int limit() {
        return limit;
    }

    /** A reload changed {@code max_sessions}: open sessions stay; new ones wait until under the new cap. */
    public void limit(int newLimit) {
        if (newLimit < 1) {
            throw new IllegalArgumentException("limit " + newLimit + " (expected >= 1)");
        }
        this.limit = newLimit;
    }
}
