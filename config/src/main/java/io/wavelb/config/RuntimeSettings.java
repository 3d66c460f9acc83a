package io.wavelb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Process-wide settings.
 *
 * @param eventLoops          event loop threads; 0 means one per available core
 * @param transport           Netty transport
 * @param shutdownGracePeriod on SIGTERM, how long open TCP connections may run on before they are closed
 * @param memoryBudget        bytes of direct (buffer) memory the data plane may hold; 0 derives it
 *                            from the JVM's direct-memory limit
 */
public record RuntimeSettings(int eventLoops, Transport transport, Duration shutdownGracePeriod, long memoryBudget) {

    public static final Duration DEFAULT_SHUTDOWN_GRACE_PERIOD = Duration.ofSeconds(30);
    /** The smallest budget accepted: below it a few connections' buffers would already exhaust it. */
    public static final long MIN_MEMORY_BUDGET = 8L << 20;
    public static final RuntimeSettings DEFAULTS = new RuntimeSettings(0, Transport.AUTO, DEFAULT_SHUTDOWN_GRACE_PERIOD, 0);

    public RuntimeSettings {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(shutdownGracePeriod, "shutdownGracePeriod");
        if (memoryBudget != 0 && memoryBudget < MIN_MEMORY_BUDGET) {
            throw new IllegalArgumentException("memoryBudget " + memoryBudget + " (expected 0 or >= " + MIN_MEMORY_BUDGET + ")");
        }
    }

    /** Without a memory budget (derived from the JVM's limit). */
    public RuntimeSettings(int eventLoops, Transport transport, Duration shutdownGracePeriod) {
        this(eventLoops, transport, shutdownGracePeriod, 0);
    }
}
