package io.wavelb.core.balance;

import java.util.Objects;

/**
 * The {@code (excluded, excludedCount)} pair of a retry: backends already tried for this flow. A plain
 * array and a linear scan, because a retry excludes a handful of backends at most and the caller can
 * reuse one array per flow without allocating.
 */
final class Exclusions {

    private Exclusions() {
    }

    static void check(int[] excluded, int excludedCount) {
        Objects.checkFromIndexSize(0, excludedCount, Objects.requireNonNull(excluded, "excluded").length);
    }

    static boolean contains(int[] excluded, int excludedCount, int backend) {
        for (int i = 0; i < excludedCount; i++) {
            if (excluded[i] == backend) {
                return true;
            }
        }
        return false;
    }

    /**
     * How many distinct backends among {@code [0, backendCount)} for which {@code counted} holds are
     * excluded; out-of-range indexes and repeats are ignored.
     */
    static int distinctExcluded(int[] excluded, int excludedCount, int backendCount, boolean[] counted) {
        int distinct = 0;
        for (int i = 0; i < excludedCount; i++) {
            int b = excluded[i];
            if (b >= 0 && b < backendCount && (counted == null || counted[b]) && !contains(excluded, i, b)) {
                distinct++;
            }
        }
        return distinct;
    }
}
