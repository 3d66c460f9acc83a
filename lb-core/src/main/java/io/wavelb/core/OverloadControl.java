package io.wavelb.core;

import io.netty.util.internal.PlatformDependent;
import io.wavelb.core.overload.OverloadAction;
import io.wavelb.core.overload.OverloadManager;
import io.wavelb.core.overload.OverloadSignal;
import io.wavelb.core.overload.OverloadState;
import io.wavelb.core.overload.OverloadStatus;
import io.wavelb.core.tcp.TcpListener;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The overload step of the control tick: measures direct memory against the budget, lets the
 * {@link OverloadManager} decide, publishes the state the data plane reads ({@link OverloadSignal})
 * and applies the TCP actions on the loops. Owns the figures the metrics and {@code /healthz} read.
 * Its {@link #tick} runs on the control thread only.
 */
final class OverloadControl {

    private static final System.Logger LOG = System.getLogger(OverloadControl.class.getName());

    private final OverloadSignal signal = new OverloadSignal();
    private final OverloadManager manager = new OverloadManager();
    private final long budget;
    private final int loopCount;
    private final AtomicLongArray activations = new AtomicLongArray(OverloadAction.values().length);
    private final AtomicLong shedBytes = new AtomicLong();
    private volatile OverloadStatus status = manager.status();

    /**
     * @param configuredBudget {@code runtime.memory_budget}, 0 for the allocator's limit
     * @param loopCount        event loops sharing the shedding of each TCP listener
     */
    OverloadControl(long configuredBudget, int loopCount) {
        this.budget = budgetInForce(configuredBudget);
        this.loopCount = loopCount;
    }

    /**
     * The budget in force: the configured one within the allocator's limit. {@code wavelb run} sets
     * that limit ({@code io.netty.maxDirectMemory}) to the budget before Netty loads; a balancer
     * started in-process gets the JVM's limit there.
     */
    private static long budgetInForce(long configured) {
        long allocatorLimit = PlatformDependent.maxDirectMemory();
        return configured > 0 ? Math.min(configured, allocatorLimit) : allocatorLimit;
    }

    /** Direct memory the buffer allocator holds now, in bytes (Netty's own counter, else the JVM's). */
    static long memoryUsed() {
        long used = PlatformDependent.usedDirectMemory();
        if (used >= 0) {
            return used;
        }
        for (BufferPoolMXBean pool : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        return 0;
    }

    OverloadSignal signal() {
        return signal;
    }

    long budget() {
        return budget;
    }

    OverloadStatus status() {
        return status;
    }

    boolean active(OverloadAction action) {
        return signal.state().active(action);
    }

    long activations(OverloadAction action) {
        return activations.get(action.ordinal());
    }

    long shedBytes() {
        return shedBytes.get();
    }

    /** Measures memory, decides the overload actions, publishes them, and applies the TCP ones to {@code tcp}. */
    void tick(long now, List<TcpListener> tcp) {
        OverloadManager.Decision d = manager.evaluate(memoryUsed(), budget, now);
        OverloadState state = d.state();
        signal.publish(state);
        for (OverloadManager.Change c : d.changes()) {
            if (c.on()) {
                activations.incrementAndGet(c.action().ordinal());
            }
            LOG.log(c.on() ? System.Logger.Level.WARNING : System.Logger.Level.INFO, c.message());
        }
        status = manager.status();
        if ((!state.reduceTimeouts() && !state.shedConnections()) || tcp.isEmpty()) {
            return;
        }
        long target = manager.shedTarget(budget);
        long perLoop = Math.max(0, state.used() - target) / ((long) loopCount * tcp.size());
        for (TcpListener l : tcp) {
            l.applyOverload(state, perLoop, shedBytes::addAndGet);
        }
    }
}
