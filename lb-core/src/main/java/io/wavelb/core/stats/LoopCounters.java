package io.wavelb.core.stats;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Counters written by exactly one event loop and read by anyone. The single writer lets an
 * increment be a plain read plus an opaque write: no CAS, no lock, no contended cache line on the
 * packet path; readers sum the loops at scrape time.
 */
public final class LoopCounters {

    private static final ListenerCounter[] ALL = ListenerCounter.values();

    private final AtomicLongArray values = new AtomicLongArray(ALL.length);

    /** Only from the owning event loop. */
    public void increment(ListenerCounter counter) {
        int i = counter.ordinal();
        values.setOpaque(i, values.getPlain(i) + 1);
    }

    /** Only from the owning event loop. */
    public void add(ListenerCounter counter, long delta) {
        int i = counter.ordinal();
        values.setOpaque(i, values.getPlain(i) + delta);
    }

    public long get(ListenerCounter counter) {
        return values.getOpaque(counter.ordinal());
    }
}
