package io.wavelb.core.cli;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;

/**
 * Tells when the JIT has gone quiet: no compilation finished for a while (the JVM's total
 * compilation time has not moved). The warm-up ends on it, and the start waits for it before the
 * listeners bind: the compiler threads finishing what the start itself compiled run on the same
 * cores as the event loops (in a pinned process, on the same one), and in the first milliseconds
 * after the bind they would take the CPU from the first datagrams.
 */
final class JitQuiet {

    private final CompilationMXBean jit;
    private final boolean supported;
    private long lastTotal;
    private long quietSince;

    JitQuiet() {
        jit = ManagementFactory.getCompilationMXBean();
        supported = jit != null && jit.isCompilationTimeMonitoringSupported();
        lastTotal = supported ? jit.getTotalCompilationTime() : 0;
        quietSince = System.nanoTime();
    }

    /** Whether no compilation has finished for {@code quietNanos} up to {@code nowNanos}; never on a JVM that does not say. */
    boolean quietFor(long quietNanos, long nowNanos) {
        if (!supported) {
            return false;
        }
        long total = jit.getTotalCompilationTime();
        if (total != lastTotal) {
            lastTotal = total;
            quietSince = nowNanos;
            return false;
        }
        return nowNanos - quietSince >= quietNanos;
    }

    /**
     * Waits until no compilation has finished for {@code quietMillis}, at most {@code maxMillis}
     * (at once on a JVM that does not report compilation time); returns how long it waited, in ms.
     */
    static long await(long quietMillis, long maxMillis) {
        long start = System.nanoTime();
        JitQuiet q = new JitQuiet();
        if (!q.supported) {
            return 0;
        }
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(maxMillis);
        long quiet = TimeUnit.MILLISECONDS.toNanos(quietMillis);
        for (long now = start; now < deadline && !q.quietFor(quiet, now); now = System.nanoTime()) {
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }
}
