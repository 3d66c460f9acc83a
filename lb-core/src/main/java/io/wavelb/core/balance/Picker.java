package io.wavelb.core.balance;

import io.wavelb.config.Algorithm;
import java.util.Collection;
import java.util.List;

/**
 * Picks a backend index (into {@link #backends()}) for a new flow: the per-group choice of the
 * {@code algorithm} key. (The "balancer" is the whole running process, {@code LoadBalancer}.)
 *
 * <p>Thread-safe. Immutable except the round-robin cursor, an atomic: build a new picker off the
 * packet path when the backend set changes and publish it whole (one volatile write), as Envoy's
 * ThreadAwareLoadBalancer does with its Maglev table. Least connections keeps no counts of its own:
 * it reads them through {@link OpenConnections} from their one owner (the target).
 */
public sealed interface Picker permits MaglevPicker, RoundRobinPicker, LeastConnectionsPicker {

    /** The empty exclusion list of a first attempt. */
    int[] NO_EXCLUSIONS = new int[0];

    /** The connections open on each backend, by index into {@link #backends()}; read, never written, by a pick. */
    @FunctionalInterface
    interface OpenConnections {
        /** Nothing is open anywhere: for pickers that ignore counts, and a fresh least-connections picker. */
        OpenConnections NONE = backend -> 0;

        int open(int backend);
    }

    /** The index space of {@link #pick}: the backends sorted by id, independent of input order. */
    List<Backend> backends();

    /**
     * The backend for a new flow, skipping the first {@code excludedCount} indexes of
     * {@code excluded} (backends already tried for this flow); -1 if no backend is left.
     *
     * @param flowHash {@link FlowHash#fiveTuple} for MAGLEV, {@link FlowHash#sourceIp} for SOURCE_IP;
     *                 round robin ignores it and least connections uses it only to break ties
     */
    int pick(long flowHash, int[] excluded, int excludedCount);

    default int pick(long flowHash) {
        return pick(flowHash, NO_EXCLUSIONS, 0);
    }

    /** A picker over {@code backends} that sees no open connections. */
    static Picker of(Algorithm algorithm, Collection<Backend> backends, int maglevTableSize) {
        return of(algorithm, backends, maglevTableSize, OpenConnections.NONE);
    }

    /**
     * A picker over {@code backends}.
     *
     * @param maglevTableSize the Maglev table size, a prime; ignored by LEAST_CONNECTIONS, which keeps
     *                        no table
     * @param open            where LEAST_CONNECTIONS reads each backend's open connections (by the
     *                        index order of {@link #backends()}); the others ignore it
     * @throws IllegalArgumentException if the table size is not prime or two backends share an id
     */
    static Picker of(Algorithm algorithm, Collection<Backend> backends, int maglevTableSize, OpenConnections open) {
        return switch (algorithm) {
            case MAGLEV, SOURCE_IP -> new MaglevPicker(MaglevTable.build(backends, maglevTableSize));
            case ROUND_ROBIN -> new RoundRobinPicker(MaglevTable.build(backends, maglevTableSize));
            case LEAST_CONNECTIONS -> new LeastConnectionsPicker(MaglevTable.sortedById(backends), open);
        };
    }
}
