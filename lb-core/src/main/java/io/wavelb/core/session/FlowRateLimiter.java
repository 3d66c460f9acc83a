package io.wavelb.core.session;

import io.wavelb.config.NewFlowRate;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code new_flows_per_client}: a token bucket per client, in a fixed table of {@link #BUCKETS}
 * buckets (512 KiB, made on the first limited flow: a listener without the limit holds none) shared by a listener side's loops, lock-free (one compare-and-set per new flow,
 * never per datagram). A client's bucket is chosen by a hash of its {@link ClientKey} keyed with a
 * per-process random seed.
 *
 * <p>Bounded whatever the number of clients: the table does not grow. What that costs: clients
 * whose keys share a bucket share its rate. With the seed secret, an attacker cannot aim at a
 * given client's bucket; spoofing many sources spreads its flows over many buckets (each
 * limited) and, at worst, makes the clients it lands on share their rate with it. It cannot make
 * one bucket hold more than its burst.
 *
 * <p>A bucket is one long: the last refill in milliseconds (high 40 bits) and the tokens in
 * thousandths (low 24 bits, so bursts up to {@link NewFlowRate#MAX_BURST}).
 */
public final class FlowRateLimiter {

    static final int BUCKETS = 1 << 16;
    private static final long TOKEN = 1000;
    private static final long TOKEN_BITS = 24;
    private static final long TOKEN_MASK = (1L << TOKEN_BITS) - 1;

    private final AtomicReference<AtomicLongArray> table = new AtomicReference<>();
    private final long seed = ThreadLocalRandom.current().nextLong() | 1;
    private final long startNanos = System.nanoTime();

    /** Whether {@code client} may open a new flow now under {@code rate}; takes a token when it may. */
    public boolean tryAcquire(ClientKey client, NewFlowRate rate) {
        return tryAcquire(client, rate, (System.nanoTime() - startNanos) / 1_000_000 + 1);
    }

    /** As above at {@code nowMillis} (1 or more: 0 marks a bucket never used); for tests. */
    boolean tryAcquire(ClientKey client, NewFlowRate rate, long nowMillis) {
        if (!rate.limited()) {
            return true;
        }
        AtomicLongArray buckets = table.get();
        if (buckets == null) {
            table.compareAndSet(null, new AtomicLongArray(BUCKETS));
            buckets = table.get();
        }
        int i = index(client);
        long full = rate.burst() * TOKEN;
        while (true) {
            long state = buckets.get(i);
            long tokens;
            if (state == 0) {
                tokens = full;
            } else {
                long last = state >>> TOKEN_BITS;
                long elapsed = Math.max(0, nowMillis - last);
                // rate tokens/s x elapsed ms = rate x elapsed thousandths of a token
                tokens = Math.min(full, (state & TOKEN_MASK) + Math.min(full, elapsed * rate.perSecond()));
            }
            boolean allowed = tokens >= TOKEN;
            long next = (nowMillis << TOKEN_BITS) | (allowed ? tokens - TOKEN : tokens);
            if (buckets.compareAndSet(i, state, next)) {
                return allowed;
            }
        }
    }

    private int index(ClientKey k) {
        long h = (k.high() * 0x9E3779B97F4A7C15L) ^ (k.low() + seed) ^ (k.v6() ? 0x5851F42D4C957F2DL : 0);
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL ^ seed;
        h ^= h >>> 29;
        return (int) (h & (BUCKETS - 1));
    }
}
