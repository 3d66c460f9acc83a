package io.wavelb.core.overload;

import java.util.concurrent.TimeUnit;

/**
 * One published decision of the overload manager: what the data plane must do now. Immutable;
 * the data plane reads it through one volatile field ({@link OverloadSignal}), never a lock.
 *
 * @param used            direct memory in use when it was decided, in bytes
 * @param budget          the memory budget, in bytes
 * @param reduceTimeouts  idle timeouts are scaled by {@code timeoutScale}
 * @param stopAccepting   new TCP connections and UDP sessions are refused
 * @param shedConnections the TCP connections holding the most buffered bytes are being closed
 * @param timeoutScale    1 = configured idle timeouts; down to 0 = the floor ({@link #IDLE_FLOOR_NANOS})
 */
public record OverloadState(long used, long budget, boolean reduceTimeouts, boolean stopAccepting,
                            boolean shedConnections, double timeoutScale) {

    /** The shortest idle timeout reducing makes: a flow quiet for a second under pressure may go. */
    public static final long IDLE_FLOOR_NANOS = TimeUnit.SECONDS.toNanos(1);

    public static final OverloadState NORMAL = new OverloadState(0, 0, false, false, false, 1.0);

    public OverloadState {
        if (!(timeoutScale >= 0 && timeoutScale <= 1)) {
            throw new IllegalArgumentException("timeoutScale " + timeoutScale + " (expected 0..1)");
        }
    }

    /** Pressure: used over budget (0 without a budget). */
    public double pressure() {
        return budget <= 0 ? 0 : (double) used / budget;
    }

    public boolean active(OverloadAction a) {
        return switch (a) {
            case REDUCE_TIMEOUTS -> reduceTimeouts;
            case STOP_ACCEPTING -> stopAccepting;
            case SHED_CONNECTIONS -> shedConnections;
        };
    }

    /**
     * The idle timeout to apply now to a flow configured with {@code configuredNanos}: the
     * configured one, or under {@code reduce_timeouts} scaled towards the floor (never longer than
     * configured, never shorter than {@code min(configured, 1 s)}).
     */
    public long idleNanos(long configuredNanos) {
        if (!reduceTimeouts) {
            return configuredNanos;
        }
        long floor = Math.min(configuredNanos, IDLE_FLOOR_NANOS);
        return Math.max(floor, (long) (configuredNanos * timeoutScale));
    }
}
