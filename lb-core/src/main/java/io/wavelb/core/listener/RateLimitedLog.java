package io.wavelb.core.listener;

import java.util.concurrent.atomic.AtomicLong;

/**
 * A warning that is logged at most once per interval, with the number suppressed since: a data
 * plane must never log per packet, but an operator must still hear that something is wrong.
 */
public final class RateLimitedLog {

    private final System.Logger logger;
    private final long intervalNanos;
    /** Put in front of every message (whose warnings these are), or "". */
    private final String prefix;
    private final AtomicLong nextAllowed = new AtomicLong(Long.MIN_VALUE);
    private final AtomicLong suppressed = new AtomicLong();

    public RateLimitedLog(System.Logger logger, long intervalNanos) {
        this(logger, intervalNanos, "");
    }

    public RateLimitedLog(System.Logger logger, long intervalNanos, String prefix) {
        this.logger = logger;
        this.intervalNanos = intervalNanos;
        this.prefix = prefix;
    }

    public void warn(String message) {
        if (due()) {
            log(prefix + message);
        }
    }

    /**
     * {@code head + detail}, built only when it is logged: the data plane calls this on paths a
     * flood can drive (a datagram dropped for memory, a socket that cannot be had), where building
     * the text for every suppressed call would be work and garbage per packet.
     */
    public void warn(String head, Object detail) {
        if (due()) {
            log(prefix + head + detail);
        }
    }

    /** {@code head + a + middle + b}, built only when it is logged. */
    public void warn(String head, Object a, String middle, Object b) {
        if (due()) {
            log(prefix + head + a + middle + b);
        }
    }

    /** Whether a warning may be logged now (and takes the turn); counts it as suppressed otherwise. */
    private boolean due() {
        long now = System.nanoTime();
        long next = nextAllowed.get();
        if ((next != Long.MIN_VALUE && now - next < 0) || !nextAllowed.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return false;
        }
        return true;
    }

    private void log(String message) {
        long skipped = suppressed.getAndSet(0);
        logger.log(System.Logger.Level.WARNING, skipped == 0 ? message : message + " (" + skipped + " similar suppressed)");
    }
}
