package io.wavelb.core.balance;

import java.util.List;
import java.util.Objects;

/**
 * Fewest open connections per unit of weight. The counts belong to the targets (one owner, which
 * the admin API and draining read too); a pick reads them through {@link Picker.OpenConnections}
 * without locking, so two concurrent picks may both choose the same backend, which the next picks
 * correct.
 */
final class LeastConnectionsPicker implements Picker {

    private final List<Backend> backends;
    private final int[] weights;
    private final OpenConnections open;

    LeastConnectionsPicker(List<Backend> sortedBackends, OpenConnections open) {
        this.backends = sortedBackends;
        this.weights = sortedBackends.stream().mapToInt(Backend::weight).toArray();
        this.open = Objects.requireNonNull(open, "open");
    }

    @Override
    public List<Backend> backends() {
        return backends;
    }

    /**
     * Minimises {@code open / weight}, compared as {@code open_a * weight_b < open_b * weight_a}
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
        long bestOpen = 0;
        long bestWeight = 1;
        for (int k = 0; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
            if (Exclusions.contains(excluded, excludedCount, i)) {
                continue;
            }
            long a = Math.max(0, open.open(i));
            if (best < 0 || a * bestWeight < bestOpen * weights[i]) {
                best = i;
                bestOpen = a;
                bestWeight = weights[i];
            }
        }
        return best;
    }
}
