package io.wavelb.core.balance;

import java.util.Objects;

/**
 * A target as the balancer sees it.
 *
 * @param id     stable identity, e.g. {@code "10.0.1.10:7000"}; the Maglev permutation is derived from
 *               it, so it must not change while the target stays the same
 * @param weight relative share of new flows, at least 1
 */
public record Backend(String id, int weight) {

    public Backend {
        Objects.requireNonNull(id, "id");
        if (id.isBlank()) {
            throw new IllegalArgumentException("backend id: blank (expected a stable identity such as host:port)");
        }
        if (weight < 1) {
            throw new IllegalArgumentException("backend " + id + " weight: " + weight + " (expected >= 1)");
        }
    }

    /** A backend of weight 1. */
    public static Backend of(String id) {
        return new Backend(id, 1);
    }
}
