package io.wavelb.core.balance;

import java.lang.management.ManagementFactory;
import java.util.function.LongSupplier;

/** Bytes allocated by the current thread while running a piece of code (HotSpot's ThreadMXBean). */
final class Allocations {

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    static long lastResult;

    private Allocations() {
    }

    static long measure(LongSupplier work) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        long result = work.getAsLong();
        long after = THREADS.getCurrentThreadAllocatedBytes();
        lastResult = result;
        return after - before;
    }
}
