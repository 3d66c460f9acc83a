package io.wavelb.core.balance;

import io.wavelb.config.Algorithm;
import java.util.Collection;
import java.util.List;

/**
 * Picks a backend index (into {@link #backends()}) for a new flow.
 *
 * <p>Thread-safe. Immutable except the least-connections counters and the round-robin cursor, which
 * are atomics: build a new balancer off the packet path when the backend set changes and publish it
 * whole (one volatile write), as Envoy's ThreadAwareLoadBalancer does with its Maglev table.
 */
public sealed interface Balancer permits MaglevBalancer, RoundRobinBalancer, LeastConnectionsBalancer {

    /** The empty exclusion list of a first attempt. */
    int[] NO_EXCLUSIONS = new int[0];

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

    /** A connection to {@code backend} opened (least-connections bookkeeping; others ignore it). */
    default void onOpened(int backend) {
    }

    /** A connection to {@code backend} closed; counts never go below zero. */
    default void onClosed(int backend) {
    }

    /**
     * A balancer over {@code backends}.
     *
     * @param maglevTableSize the Maglev table size, a prime; ignored by LEAST_CONNECTIONS, which keeps
     *                        no table
     * @throws IllegalArgumentException if the table size is not prime or two backends share an id
     */
    static Balancer of(Algorithm algorithm, Collection<Backend> backends, int maglevTableSize) {
        return switch (algorithm) {
            case MAGLEV, SOURCE_IP -> new MaglevBalancer(MaglevTable.build(backends, maglevTableSize));
            case ROUND_ROBIN -> new RoundRobinBalancer(MaglevTable.build(backends, maglevTableSize));
            case LEAST_CONNECTIONS -> new LeastConnectionsBalancer(MaglevTable.sortedById(backends));
        };
    }
}
