package io.wavelb.agent.reconcile;

/**
 * A client-side request budget: {@code capacity} tokens refilled at {@code perSecond}, the shape of
 * Route 53's own request-rate buckets. Spending here first keeps the agent well inside the
 * account's shared limit instead of discovering it through Throttling errors. Not thread-safe:
 * one reconcile loop owns it; time in nanoseconds, passed in.
 */
public final class TokenBucket {

    private final double capacity;
    private final double perNano;
    private double tokens;
    private long last;

    public TokenBucket(double capacity, double perSecond, long nowNanos) {
        if (capacity < 1 || perSecond <= 0) {
            throw new IllegalArgumentException("need capacity >= 1 and a positive rate");
        }
        this.capacity = capacity;
        this.perNano = perSecond / 1e9;
        this.tokens = capacity;
        this.last = nowNanos;
    }

    private void refill(long nowNanos) {
        if (nowNanos > last) {
            tokens = Math.min(capacity, tokens + (nowNanos - last) * perNano);
            last = nowNanos;
        }
    }

    /** Takes {@code n} tokens if there are that many now. */
    public boolean tryTake(int n, long nowNanos) {
        refill(nowNanos);
        if (tokens >= n) {
            tokens -= n;
            return true;
        }
        return false;
    }

    /** How long until {@code n} tokens are there (0 if now). */
    public long nanosUntil(int n, long nowNanos) {
        refill(nowNanos);
        return tokens >= n ? 0 : (long) Math.ceil((n - tokens) / perNano);
    }

    public double available(long nowNanos) {
        refill(nowNanos);
        return tokens;
    }
}
