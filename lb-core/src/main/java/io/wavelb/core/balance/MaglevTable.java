package io.wavelb.core.balance;

import io.wavelb.config.Primes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The weighted Maglev lookup table (Eisenbud et al., "Maglev: A Fast and Reliable Software Network
 * Load Balancer", NSDI'16, §3.4): an array of {@code M} slots, {@code M} prime, each holding a backend
 * index. A flow goes to {@code entry[hash mod M]}.
 *
 * <p>Immutable once built; build it off the packet path and publish it whole. {@link #lookup} does one
 * unsigned remainder and one array load and allocates nothing.
 *
 * <p>Backends are sorted by {@link Backend#id()} and each one's permutation depends only on its id,
 * so every wavelb instance given the same set builds the identical table (§3.3-3.4: consistent
 * across machines, which is what lets ECMP spray the packets of one flow over several balancers).
 */
public final class MaglevTable {

    /**
     * Seeds of the two hash functions h1 (offset) and h2 (skip) of §3.4. Any two distinct fixed
     * values work; Envoy's maglev_lb.cc uses xxHash64 with seeds 0 and 1 for the same purpose.
     */
    static final long OFFSET_SEED = 0, SKIP_SEED = 1;

    /** {@code slot + skip < 2 * size} must fit an int during population. */
    static final int MAX_SIZE = 1 << 30;

    private final List<Backend> backends;
    private final int[] entries;
    private final int[] slotCounts;
    /** Backends that own at least one slot; a walk of the table can only ever reach these. */
    private final boolean[] ownsSlot;
    private final int owners;

    private MaglevTable(List<Backend> backends, int[] entries) {
        this.backends = backends;
        this.entries = entries;
        this.slotCounts = new int[backends.size()];
        for (int e : entries) {
            if (e >= 0) {
                slotCounts[e]++;
            }
        }
        this.ownsSlot = new boolean[backends.size()];
        int o = 0;
        for (int b = 0; b < slotCounts.length; b++) {
            ownsSlot[b] = slotCounts[b] > 0;
            o += ownsSlot[b] ? 1 : 0;
        }
        this.owners = o;
    }

    /**
     * Builds the table.
     *
     * @param tableSize {@code M}: a prime (so every skip in {@code [1, M-1]} is coprime with it and each
     *                  permutation visits every slot, §3.4); the paper recommends {@code M > 100 * N} to
     *                  keep each backend's share within about 1% of its weight, which the config layer
     *                  checks
     * @throws IllegalArgumentException if {@code tableSize} is not a prime, or two backends share an id
     */
    public static MaglevTable build(Collection<Backend> backends, int tableSize) {
        if (tableSize <= 1 || tableSize > MAX_SIZE || !Primes.isPrime(tableSize)) {
            throw new IllegalArgumentException(
                    "maglev table size: " + tableSize + " (expected a prime in 2.." + MAX_SIZE + ", e.g. 65537)");
        }
        List<Backend> sorted = sortedById(backends);
        return new MaglevTable(sorted, populate(sorted, tableSize));
    }

    /**
     * Listing 1 of §3.4 with weights. The paper fills the table in rounds, each backend taking the
     * next free slot of its permutation in turn; it gives no listing for weights. Like Envoy's maglev_lb.cc, a backend takes its turn in
     * round {@code r} only while it has placed fewer than {@code r * weight / maxWeight} entries, so
     * the heaviest backend places one entry per round and the others proportionally fewer, still
     * interleaved (which keeps the low-disruption property: each backend's entries are still the
     * prefix of its own permutation).
     */
    private static int[] populate(List<Backend> backends, int m) {
        int[] entries = new int[m];
        Arrays.fill(entries, -1);
        int n = backends.size();
        if (n == 0) {
            return entries;
        }
        int[] next = new int[n];
        int[] skip = new int[n];
        long[] weight = new long[n];
        long[] placed = new long[n];
        long maxWeight = 0;
        for (int i = 0; i < n; i++) {
            String id = backends.get(i).id();
            next[i] = (int) Long.remainderUnsigned(FlowHash.ofString(id, OFFSET_SEED), m);
            skip[i] = (int) Long.remainderUnsigned(FlowHash.ofString(id, SKIP_SEED), m - 1) + 1;
            weight[i] = backends.get(i).weight();
            maxWeight = Math.max(maxWeight, weight[i]);
        }
        int filled = 0;
        for (long round = 1; filled < m; round++) {
            for (int i = 0; i < n && filled < m; i++) {
                if (placed[i] * maxWeight >= round * weight[i]) {
                    continue;
                }
                int c = next[i];
                while (entries[c] >= 0) {
                    c += skip[i];
                    if (c >= m) {
                        c -= m;
                    }
                }
                entries[c] = i;
                placed[i]++;
                filled++;
                c += skip[i];
                next[i] = c >= m ? c - m : c;
            }
        }
        return entries;
    }

    /** {@code M}, the number of slots. */
    public int size() {
        return entries.length;
    }

    /** The index space of {@link #lookup}: the backends sorted by id, unmodifiable. */
    public List<Backend> backends() {
        return backends;
    }

    /** The backend index for a flow hash, or -1 when the table has no backends. */
    public int lookup(long hash) {
        return entries[slot(hash)];
    }

    /** The backend index in one slot, -1 when the table has no backends. */
    public int entryAt(int slot) {
        return entries[slot];
    }

    /**
     * Walks the table from the hash's slot and returns the first backend not excluded, or -1 if none
     * is left: the retry order when a connect to the first choice fails. Deterministic per hash, so
     * every instance retries a flow in the same order; allocation-free.
     */
    public int lookupExcluding(long hash, int[] excluded, int excludedCount) {
        return walkFrom(slot(hash), excluded, excludedCount);
    }

    /**
     * First non-excluded backend at or after {@code slot}. The walk is bounded: it starts only once
     * some slot-owning backend is known not to be excluded, so it ends within about
     * {@code N / (N - excluded)} steps on average and at most {@code M}.
     */
    int walkFrom(int slot, int[] excluded, int excludedCount) {
        Exclusions.check(excluded, excludedCount);
        int n = backends.size();
        if (n == 0) {
            return -1;
        }
        if (excludedCount == 0) {
            return entries[slot];
        }
        if (Exclusions.distinctExcluded(excluded, excludedCount, n, ownsSlot) < owners) {
            int m = entries.length;
            for (int step = 0; step < m; step++) {
                int b = entries[slot];
                if (!Exclusions.contains(excluded, excludedCount, b)) {
                    return b;
                }
                if (++slot == m) {
                    slot = 0;
                }
            }
        }
        // Every slot owner is excluded. A backend whose weight was too small to earn a slot is still a
        // working backend, so a retry gets the first such one in index order rather than nothing.
        for (int b = 0; b < n; b++) {
            if (!ownsSlot[b] && !Exclusions.contains(excluded, excludedCount, b)) {
                return b;
            }
        }
        return -1;
    }

    /** The number of slots backend {@code backend} owns. */
    int slotCount(int backend) {
        return slotCounts[backend];
    }

    /** {@code hash mod M}, unsigned so that every 64-bit hash maps to a slot. */
    int slot(long hash) {
        return (int) Long.remainderUnsigned(hash, entries.length);
    }

    static List<Backend> sortedById(Collection<Backend> backends) {
        List<Backend> sorted = new ArrayList<>(backends);
        sorted.sort(Comparator.comparing(Backend::id));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).id().equals(sorted.get(i - 1).id())) {
                throw new IllegalArgumentException("backends: duplicate id " + sorted.get(i).id()
                        + " (expected each backend once)");
            }
        }
        return List.copyOf(sorted);
    }
}
