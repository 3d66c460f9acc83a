/** Targets and target groups as the data plane holds them: resolved, counted, swapped as snapshots. */
package io.wavelb.core.target;
