package io.wavelb.agent.reconcile;

import java.util.random.RandomGenerator;

/**
 * Exponential backoff with full jitter (a random delay in [0, min(cap, base x 2^attempt)]), so a
 * fleet of agents throttled at once does not retry in lockstep against Route 53's shared
 * per-account limit.
 */
public final class Backoff {

    private final long baseNanos;
    private final long capNanos;
    private final RandomGenerator random;

    public Backoff(long baseNanos, long capNanos, RandomGenerator random) {
        if (baseNanos <= 0 || capNanos < baseNanos) {
            throw new IllegalArgumentException("need 0 < base <= cap");
        }
        this.baseNanos = baseNanos;
        this.capNanos = capNanos;
        this.random = random;
    }

    /** The ceiling for {@code attempt} (0-based): base x 2^attempt, capped. */
    public long ceilingNanos(int attempt) {
        if (attempt >= 62 || baseNanos > (capNanos >> Math.min(attempt, 62))) {
            return capNanos;
        }
        return Math.min(capNanos, baseNanos << attempt);
    }

    /** How long to wait before retry number {@code attempt} (0-based). */
    public long delayNanos(int attempt) {
        return random.nextLong(ceilingNanos(attempt) + 1);
    }
}
