package io.wavelb.core.listener;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A warning that is logged at most once per interval, with the number suppressed since: a data
 * plane must never log per packet, but an operator must still hear that something is wrong.
 */
public final class RateLimitedLog {

    private final System.Logger logger;
    private final long intervalNanos;
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(System.Logger logger, long intervalNanos) {
        this.logger = logger;
        this.intervalNanos = intervalNanos;
    }

    public void warn(String message) {
        long now = System.nanoTime();
        long next = nextAllowed.get();
        if ((next != Long.MIN_VALUE && now - next < 0) || !nextAllowed.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return;
        }
        long skipped = suppressed.getAndSet(0);
        logger.log(System.Logger.Level.WARNING, skipped == 0 ? message : message + " (" + skipped + " similar suppressed)");
    }
}
