package io.wavelb.agent.reconcile;

import java.util.Optional;

/**
 * Whether IMDS says this instance is going away, so the agent drains by itself (no SIGTERM may come
 * in time). Sources (EC2 instance metadata):
 * <ul>
 *   <li>{@code autoscaling/target-lifecycle-state}: {@code Terminated} (or {@code Warmed:Terminated})
 *       while the group's termination lifecycle hook holds the instance in {@code Terminating:Wait};
 *       the hook is then completed with CONTINUE once drained.</li>
 *   <li>{@code spot/instance-action}: present (JSON with {@code "action"}: terminate, stop or
 *       hibernate) two minutes before a Spot interruption; there is no hook to complete.</li>
 * </ul>
 */
public final class LifecycleSignal {

    private LifecycleSignal() {
    }

    /** Drain now, because of {@code reason}; {@code completeHook}: complete the Auto Scaling hook afterwards. */
    public record Leaving(String reason, boolean completeHook) {
    }

    public static Optional<Leaving> leaving(Optional<String> targetLifecycleState, Optional<String> spotInstanceAction,
                                            boolean spotEnabled) {
        if (targetLifecycleState.isPresent()) {
            String s = targetLifecycleState.get().strip();
            if (s.equals("Terminated") || s.equals("Warmed:Terminated")) {
                return Optional.of(new Leaving("Auto Scaling target lifecycle state " + s, true));
            }
        }
        if (spotEnabled && spotInstanceAction.isPresent() && !spotInstanceAction.get().isBlank()) {
            String a = spotInstanceAction.get();
            int i = a.indexOf("\"action\"");
            String action = i < 0 ? "interruption" : a.substring(i).replaceAll("(?s)^\"action\"\\s*:\\s*\"([^\"]*)\".*$", "$1");
            return Optional.of(new Leaving("Spot instance action " + action, false));
        }
        return Optional.empty();
    }
}
