package io.wavelb.core.liveness;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * When each data-plane event loop last ran its heartbeat task. Each loop runs a tiny task every
 * {@link #INTERVAL} that calls {@link #beat}; a loop stuck in a busy spin or a blocking call stops
 * beating, and {@link #stalled} names it once {@link #STALL_AFTER} has passed. The one liveness
 * signal: {@code /healthz}, the systemd watchdog and the container HEALTHCHECK all follow it.
 */
public final class Heartbeats {

    /** How often every loop beats. */
    public static final Duration INTERVAL = Duration.ofMillis(500);
    /**
     * How long a loop may go without a beat before the process is reported stuck: ten intervals,
     * so a GC pause or a busy moment on a small machine is not reported.
     */
    public static final Duration STALL_AFTER = Duration.ofSeconds(5);

    private final AtomicLongArray last;
    private final LongSupplier nanoClock;
    private final long stallNanos;

    /** Every loop counts as just beaten. */
    public Heartbeats(int loops, LongSupplier nanoClock, Duration stallAfter) {
        if (loops < 1) {
            throw new IllegalArgumentException("loops: " + loops + " (expected at least 1)");
        }
        this.last = new AtomicLongArray(loops);
        this.nanoClock = nanoClock;
        this.stallNanos = stallAfter.toNanos();
        long now = nanoClock.getAsLong();
        for (int i = 0; i < loops; i++) {
            last.set(i, now);
        }
    }

    public int loops() {
        return last.length();
    }

    /** Called by loop {@code loop} itself, from its heartbeat task. */
    public void beat(int loop) {
        last.set(loop, nanoClock.getAsLong());
    }

    /** One reason per loop that has not beaten within the stall limit; empty when all are alive. */
    public List<String> stalled() {
        long now = nanoClock.getAsLong();
        List<String> reasons = new ArrayList<>(0);
        for (int i = 0; i < last.length(); i++) {
            long silent = now - last.get(i);
            if (silent > stallNanos) {
                reasons.add("event loop " + i + " has not run for " + silent / 1_000_000 + "ms (a busy spin or a blocking call)");
            }
        }
        return reasons;
    }
}
