package io.wavelb.core.balance;

import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Fewest active connections per unit of weight. Counts live in an {@link AtomicIntegerArray} updated
 * by {@link #onOpened}/{@link #onClosed}; a pick reads them without locking, so two concurrent picks
 * may both choose the same backend, which the next picks correct.
 */
final class LeastConnectionsBalancer implements Balancer {

    private final List<Backend> backends;
    private final int[] weights;
    private final AtomicIntegerArray active;

    LeastConnectionsBalancer(List<Backend> sortedBackends) {
        this.backends = sortedBackends;
        this.weights = sortedBackends.stream().mapToInt(Backend::weight).toArray();
        this.active = new AtomicIntegerArray(sortedBackends.size());
    }

    @Override
    public List<Backend> backends() {
        return backends;
    }

    /**
     * Minimises {@code active / weight}, compared as {@code active_a * weight_b < active_b * weight_a}
     * (exact, no division). The scan starts at {@code flowHash mod N} and keeps the first minimum, so
     * ties go to a hash-chosen backend instead of always the lowest index: at start-up, when every
     * count is zero, new flows spread instead of piling onto backend 0.
     */
    @Override
    public int pick(long flowHash, int[] excluded, int excludedCount) {
        Exclusions.check(excluded, excludedCount);
        int n = weights.length;
        if (n == 0) {
            return -1;
        }
        int i = (int) Long.remainderUnsigned(flowHash, n);
        int best = -1;
        long bestActive = 0;
        long bestWeight = 1;
        for (int k = 0; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
            if (Exclusions.contains(excluded, excludedCount, i)) {
                continue;
            }
            long a = active.get(i);
            if (best < 0 || a * bestWeight < bestActive * weights[i]) {
                best = i;
                bestActive = a;
                bestWeight = weights[i];
            }
        }
        return best;
    }

    @Override
    public void onOpened(int backend) {
        active.incrementAndGet(Objects.checkIndex(backend, weights.length));
    }

    @Override
    public void onClosed(int backend) {
        Objects.checkIndex(backend, weights.length);
        // A close without a matching open (e.g. after a reload swapped the balancer) must not drive
        // the count negative, which would make the backend look permanently idle.
        for (int current = active.get(backend); current > 0; current = active.get(backend)) {
            if (active.compareAndSet(backend, current, current - 1)) {
                return;
            }
        }
    }

    /** Current active count, for tests and metrics. */
    int active(int backend) {
        return active.get(backend);
    }
}
