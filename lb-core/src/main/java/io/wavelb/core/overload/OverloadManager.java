package io.wavelb.core.overload;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Maps measured memory pressure to overload actions, after Envoy's overload manager
 * ({@code source/server/overload_manager_impl.cc}): each action has a threshold on the same
 * resource (direct memory used over the budget) and turns off only once pressure is
 * {@code hysteresis} below it. {@code reduce_timeouts} is Envoy's scaled trigger: the idle timeout
 * shrinks linearly from its configured value at the {@code reduce_timeouts} threshold to its floor
 * at the {@code shed} threshold. {@code stop_accepting} stays on for at least
 * {@link #STOP_ACCEPTING_MIN_NANOS}.
 *
 * <p>Evaluated by the control tick (a few times a second), never per packet; not thread-safe.
 * Each evaluation returns the state to publish and the actions that changed, which the caller logs
 * and counts once per change.
 */
public final class OverloadManager {

    /** Shedding for this long without pressure falling back means the process cannot recover by itself. */
    public static final long DEFAULT_STUCK_AFTER_NANOS = TimeUnit.SECONDS.toNanos(30);

    private final OverloadThresholds thresholds;
    private final long stuckAfterNanos;
    /**
     * Once on, {@code stop_accepting} stays on at least this long: under a storm of new connections
     * memory refills within one tick of accepting again, and flapping every tick would let a new
     * wave in each time.
     */
    public static final long STOP_ACCEPTING_MIN_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Set<OverloadAction> active = EnumSet.noneOf(OverloadAction.class);
    private long stopAcceptingSinceNanos;
    private long shedSinceNanos;
    private OverloadState state = OverloadState.NORMAL;
    private long lastNanos;

    public OverloadManager(OverloadThresholds thresholds, long stuckAfterNanos) {
        this.thresholds = Objects.requireNonNull(thresholds, "thresholds");
        if (stuckAfterNanos <= 0) {
            throw new IllegalArgumentException("stuckAfterNanos " + stuckAfterNanos + " (expected > 0)");
        }
        this.stuckAfterNanos = stuckAfterNanos;
    }

    public OverloadManager() {
        this(OverloadThresholds.DEFAULTS, DEFAULT_STUCK_AFTER_NANOS);
    }

    /**
     * The memory level shedding aims for: where stop_accepting turns off again, not just under the
     * shed threshold, or the holders that caused it would keep new flows out until their idle
     * timeouts.
     */
    public long shedTarget(long budget) {
        return (long) (budget * (thresholds.stopAccepting() - thresholds.hysteresis()));
    }

    /** An action that turned on or off at one evaluation, with the figures that made it. */
    public record Change(OverloadAction action, boolean on, long used, long budget) {

        /** The log line: names the action, the figures and what it means for flows. */
        public String message() {
            String figures = "direct memory " + mib(used) + " of the " + mib(budget) + " budget ("
                    + percent((double) used / budget) + ")";
            String effect = switch (action) {
                case REDUCE_TIMEOUTS -> on ? "idle timeouts of TCP connections and UDP sessions are shortened"
                        : "idle timeouts are back to their configured values";
                case STOP_ACCEPTING -> on ? "new TCP connections and UDP sessions are refused (dropped, reason overload)"
                        : "new flows are accepted again";
                case SHED_CONNECTIONS -> on ? "closing the TCP connections that hold the most buffered bytes"
                        : "no longer closing connections";
            };
            return "overload: " + action.tagValue() + (on ? " on: " : " off: ") + figures + "; " + effect;
        }
    }

    /** What one evaluation decided. */
    public record Decision(OverloadState state, List<Change> changes) {
    }

    /**
     * Decides the actions for {@code used} bytes of a {@code budget} at {@code nowNanos}
     * ({@link System#nanoTime()} units).
     */
    public Decision evaluate(long used, long budget, long nowNanos) {
        lastNanos = nowNanos;
        double pressure = budget <= 0 ? 0 : (double) Math.max(0, used) / budget;
        List<Change> changes = new ArrayList<>(0);
        for (OverloadAction a : OverloadAction.values()) {
            double on = thresholds.on(a);
            boolean was = active.contains(a);
            boolean now = was ? pressure >= on - thresholds.hysteresis() : pressure >= on;
            if (was && !now && a == OverloadAction.STOP_ACCEPTING && nowNanos - stopAcceptingSinceNanos < STOP_ACCEPTING_MIN_NANOS) {
                now = true;
            }
            if (now != was) {
                if (now) {
                    active.add(a);
                } else {
                    active.remove(a);
                }
                changes.add(new Change(a, now, used, budget));
                if (a == OverloadAction.SHED_CONNECTIONS && now) {
                    shedSinceNanos = nowNanos;
                }
                if (a == OverloadAction.STOP_ACCEPTING && now) {
                    stopAcceptingSinceNanos = nowNanos;
                }
            }
        }
        double scale = 1.0;
        if (active.contains(OverloadAction.REDUCE_TIMEOUTS)) {
            double span = thresholds.shed() - thresholds.reduceTimeouts();
            scale = span <= 0 ? 0 : 1 - (pressure - thresholds.reduceTimeouts()) / span;
            scale = Math.max(0, Math.min(1, scale));
        }
        state = new OverloadState(used, budget, active.contains(OverloadAction.REDUCE_TIMEOUTS),
                active.contains(OverloadAction.STOP_ACCEPTING), active.contains(OverloadAction.SHED_CONNECTIONS), scale);
        return new Decision(state, List.copyOf(changes));
    }

    /** The last state decided. */
    public OverloadState state() {
        return state;
    }

    /**
     * For a liveness check: stuck when connections have been shed for {@code stuckAfter} without
     * pressure falling below the shed threshold — the balancer cannot get out by itself.
     */
    public OverloadStatus status() {
        List<String> actions = new ArrayList<>();
        for (OverloadAction a : OverloadAction.values()) {
            if (active.contains(a)) {
                actions.add(a.tagValue());
            }
        }
        List<String> reasons = new ArrayList<>();
        boolean stuck = false;
        if (active.contains(OverloadAction.SHED_CONNECTIONS)) {
            long forNanos = lastNanos - shedSinceNanos;
            stuck = forNanos >= stuckAfterNanos;
            reasons.add("direct memory " + mib(state.used()) + " of the " + mib(state.budget()) + " budget ("
                    + percent(state.pressure()) + ") for " + TimeUnit.NANOSECONDS.toSeconds(forNanos)
                    + " s" + (stuck ? " despite closing connections" : "; closing connections"));
        } else if (!actions.isEmpty()) {
            reasons.add("direct memory " + mib(state.used()) + " of the " + mib(state.budget()) + " budget ("
                    + percent(state.pressure()) + ")");
        }
        return new OverloadStatus(stuck, state.used(), state.budget(), List.copyOf(actions), List.copyOf(reasons));
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    static String percent(double ratio) {
        return String.format(Locale.ROOT, "%.0f %%", ratio * 100);
    }
}
