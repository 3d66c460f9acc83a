package io.wavelb.core.flowlog;

import java.util.concurrent.atomic.LongAdder;

/**
 * What became of the records offered: written, or dropped because the queue was full or the write
 * failed. Held by the process's {@link FlowLog}, so the counts carry on when a reload swaps the writer.
 */
public final class FlowLogCounters {

    final LongAdder written = new LongAdder();
    /** Incremented by the event loops: a LongAdder's cells keep them off one shared cache line. */
    final LongAdder queueFull = new LongAdder();
    final LongAdder writeErrors = new LongAdder();

    public long written() {
        return written.sum();
    }

    public long droppedQueueFull() {
        return queueFull.sum();
    }

    public long droppedWriteError() {
        return writeErrors.sum();
    }
}
