/**
 * Targets and target groups as the data plane holds them: resolved, counted, swapped as snapshots.
 * A {@link io.wavelb.core.target.Target} is the one owner of its state: health, drain and ejection,
 * and its open UDP sessions and TCP connections (which least connections reads).
 */
package io.wavelb.core.target;
