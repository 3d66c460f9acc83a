package io.wavelb.core.cli;

import io.netty.util.ResourceLeakDetector;

/**
 * Turns Netty's buffer leak detection off for the running balancer unless the operator set a
 * level ({@code JAVA_OPTS=-Dio.netty.leakDetection.level=simple}). Netty's default samples one
 * buffer in 128 and records a stack trace when it is made and when it is released: on a path that
 * makes two buffers per forwarded datagram, that was ~18 of the ~19 bytes still allocated per
 * datagram once the listener reads with wavelb's own calls, plus the stack walks' CPU
 * (benchmarks/README.md, "Bytes allocated per forwarded datagram"). A leak still shows, as direct
 * memory that grows toward the budget (the overload manager's signal, {@code wavelb_memory_*}).
 * The tests run with paranoid detection on every buffer.
 *
 * <p>Runs after {@link DirectMemoryLimit} (the leak detector's class loads Netty's platform
 * probe, which reads the direct-memory limit once).
 */
final class LeakDetection {

    static final String PROPERTY = "io.netty.leakDetection.level";
    /** The name Netty read before 4.1 and still honours. */
    private static final String LEGACY_PROPERTY = "io.netty.leakDetectionLevel";

    private LeakDetection() {
    }

    static void applyDefault() {
        if (System.getProperty(PROPERTY) == null && System.getProperty(LEGACY_PROPERTY) == null) {
            System.setProperty(PROPERTY, "disabled");
            // In case the detector's class is loaded already (it reads the property once, then).
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
    }
}
