package io.wavelb.agent.reconcile;

import io.wavelb.json.Json;
import java.util.Map;
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
            return Optional.of(new Leaving("Spot instance action " + spotAction(spotInstanceAction.get()), false));
        }
        return Optional.empty();
    }

    /**
     * The {@code action} of a Spot instance-action notice; {@code interruption} when the notice is
     * not the documented JSON: the notice being present is what matters, not its wording.
     */
    private static String spotAction(String notice) {
        try {
            return Json.parse(notice) instanceof Map<?, ?> m && m.get("action") instanceof String action
                    && !action.isBlank() ? action : "interruption";
        } catch (Json.JsonException e) {
            return "interruption";
        }
    }
}
