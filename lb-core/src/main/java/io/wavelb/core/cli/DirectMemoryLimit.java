package io.wavelb.core.cli;

import io.wavelb.core.overload.MemoryBudgets;
import java.lang.management.ManagementFactory;

/**
 * Gives Netty's allocator the memory budget as its limit before Netty loads. Netty counts its own
 * direct allocations against {@code io.netty.maxDirectMemory} and throws at once when one would
 * pass it; at the JVM's own limit, {@code java.nio.Bits.reserveMemory} would instead run
 * {@code System.gc()} and sleep-retry on the allocating thread — an event loop — before failing.
 * Netty reads the property once, when {@code PlatformDependent} initialises, so this runs before
 * anything touches Netty. A value set by the operator ({@code JAVA_OPTS=-Dio.netty.maxDirectMemory=})
 * is kept.
 *
 * <p>It also keeps Netty's adaptive allocator out of its low-memory mode, which Netty picks when
 * the <em>heap</em> limit is at most 512 MiB ({@code bin/wavelb}'s -Xmx). In that mode every buffer
 * above 16 KiB (a listener's batched receive buffer is {@code (max_datagram_size + 1) x 16}, 147 KiB
 * by default) is a fresh, zeroed, unpooled allocation freed right after: a 147 KiB memset per
 * listener wake-up. Direct memory has its own bound here (the budget above), so the heap size says
 * nothing about it: the mode follows the budget instead, off from {@link #POOLED_LARGE_BUFFERS_FROM}.
 * {@code -Dio.netty.allocator.lowMemory=true|false} set by the operator is kept.
 */
final class DirectMemoryLimit {

    static final String PROPERTY = "io.netty.maxDirectMemory";
    private static final System.Logger LOG = System.getLogger("wavelb");

    private DirectMemoryLimit() {
    }

    static final String LOW_MEMORY_PROPERTY = "io.netty.allocator.lowMemory";
    /**
     * Below this budget Netty's low-memory mode stays: out of it, the allocator works in chunks of
     * up to 8 MiB and keeps a few per size class and event loop, which a budget of a few tens of
     * MiB cannot spare (it would sit above the overload thresholds with no flow open).
     */
    static final long POOLED_LARGE_BUFFERS_FROM = 256L << 20;

    static void apply(long configuredBudget) {
        String operatorLimit = System.getProperty(PROPERTY);
        long budget;
        if (operatorLimit != null) {
            budget = parseOr(operatorLimit, 0);
        } else {
            long jvmLimit = jvmLimit();
            budget = MemoryBudgets.budget(configuredBudget, jvmLimit);
            if (configuredBudget > budget) {
                LOG.log(System.Logger.Level.WARNING, "runtime.memory_budget " + (configuredBudget >> 20) + " MiB is over "
                        + (int) (MemoryBudgets.JVM_SHARE * 100) + " % of the JVM's direct-memory limit (" + (jvmLimit >> 20)
                        + " MiB): using " + (budget >> 20) + " MiB; raise -XX:MaxDirectMemorySize to allow more");
            }
            System.setProperty(PROPERTY, Long.toString(budget));
        }
        if (System.getProperty(LOW_MEMORY_PROPERTY) == null) {
            System.setProperty(LOW_MEMORY_PROPERTY, Boolean.toString(budget < POOLED_LARGE_BUFFERS_FROM));
        }
    }

    private static long parseOr(String value, long fallback) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** {@code -XX:MaxDirectMemorySize}, or when unset (0) the JVM's default: the heap's maximum. */
    static long jvmLimit() {
        try {
            var hotspot = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            long set = Long.parseLong(hotspot.getVMOption("MaxDirectMemorySize").getValue());
            if (set > 0) {
                return set;
            }
        } catch (RuntimeException e) {
            // not HotSpot: the default below
        }
        return Runtime.getRuntime().maxMemory();
    }
}
