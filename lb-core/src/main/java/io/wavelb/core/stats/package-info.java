/** Counters of the data plane: single-writer per event loop, summed when read. */
package io.wavelb.core.stats;
