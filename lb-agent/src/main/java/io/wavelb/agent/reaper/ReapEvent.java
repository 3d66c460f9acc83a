package io.wavelb.agent.reaper;

import io.wavelb.json.Json;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What an EventBridge event asks of the reaper: collect one instance, or nothing (with why). The
 * shapes are the ones AWS documents: "EC2 Instance State-change Notification" ({@code source}
 * aws.ec2, {@code detail.instance-id}, {@code detail.state}) and Auto Scaling's "EC2
 * Instance-terminate Lifecycle Action" and "EC2 Instance Terminate Successful" ({@code source}
 * aws.autoscaling, {@code detail.EC2InstanceId}).
 */
public sealed interface ReapEvent permits ReapEvent.Reap, ReapEvent.Ignore {

    /** The EC2 states in which an instance has left, or is leaving, service. */
    Set<String> LEAVING = Set.of("stopping", "stopped", "shutting-down", "terminated");

    /** Collect {@code instanceId}; {@code why} names the event. */
    record Reap(String instanceId, String why) implements ReapEvent {
    }

    record Ignore(String why) implements ReapEvent {
    }

    /** Reads one event; anything unreadable or of another kind is an {@link Ignore} saying why. */
    static ReapEvent parse(String json) {
        Object parsed;
        try {
            parsed = Json.parse(json);
        } catch (Json.JsonException e) {
            return new Ignore("not JSON: " + e.getMessage());
        }
        if (!(parsed instanceof Map<?, ?>)) {
            return new Ignore("not a JSON object");
        }
        Map<String, Object> root = object(parsed);
        String type = text(root, "detail-type").orElse("");
        if (!(root.get("detail") instanceof Map<?, ?> detailObject)) {
            return new Ignore("no 'detail' object (detail-type '" + type + "')");
        }
        Map<String, Object> detail = object(detailObject);
        switch (type) {
            case "EC2 Instance State-change Notification" -> {
                Optional<String> id = text(detail, "instance-id");
                String state = text(detail, "state").orElse("").toLowerCase(Locale.ROOT);
                if (id.isEmpty()) {
                    return new Ignore(type + " without detail.instance-id");
                }
                return LEAVING.contains(state) ? new Reap(id.get(), "EC2 state " + state)
                        : new Ignore(id.get() + " is " + (state.isEmpty() ? "in no state" : state) + ", not leaving");
            }
            case "EC2 Instance-terminate Lifecycle Action", "EC2 Instance Terminate Successful" -> {
                Optional<String> id = text(detail, "EC2InstanceId");
                return id.isEmpty() ? new Ignore(type + " without detail.EC2InstanceId")
                        : new Reap(id.get(), "Auto Scaling: " + type);
            }
            default -> {
                return new Ignore("event '" + type + "' is not an instance leaving");
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value) {
        return (Map<String, Object>) value;
    }

    private static Optional<String> text(Map<String, Object> node, String key) {
        return Json.string(node, key).filter(s -> !s.isBlank());
    }
}
