package io.wavelb.core.session;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * The {@code max_sessions} cap of one listener, shared by its event loops. Touched once per session
 * opened or closed, never per datagram, so one atomic is cheap enough.
 */
public final class SessionBudget {

    private volatile int limit;
    private final AtomicInteger inUse = new AtomicInteger();

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
