package io.wavelb.core.overload;

/**
 * The memory budget from the config and the JVM's direct-memory limit.
 *
 * <p>The budget is also the buffer allocator's hard limit. It stays below the JVM's own limit so
 * that an allocation over it fails at once in the allocator's counter: at the JVM's limit,
 * {@code java.nio.Bits.reserveMemory} would first call {@code System.gc()} and sleep-retry on the
 * calling thread (an event loop) before throwing, and the JDK's own direct buffers (NIO's
 * temporary buffers) need room there too.
 */
public final class MemoryBudgets {

    /** The share of the JVM's direct-memory limit the budget may take. */
    public static final double JVM_SHARE = 0.9;

    private MemoryBudgets() {
    }

    /** The largest budget a JVM with this direct-memory limit allows. */
    public static long cap(long jvmLimit) {
        return (long) (jvmLimit * JVM_SHARE);
    }

    /** The budget: the configured one ({@code 0} = none) within {@link #cap}. */
    public static long budget(long configured, long jvmLimit) {
        long cap = cap(jvmLimit);
        return configured <= 0 ? cap : Math.min(configured, cap);
    }
}
