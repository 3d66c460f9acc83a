package io.wavelb.config;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** A whole, validated balancer configuration. Immutable; a reload builds a new one. */
public record WavelbConfig(AdminConfig admin, RuntimeSettings runtime, List<ListenerConfig> listeners,
                           List<TargetGroupConfig> targetGroups, FlowLogConfig flowLog) {

    public WavelbConfig {
        Objects.requireNonNull(admin, "admin");
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(flowLog, "flowLog");
        listeners = List.copyOf(listeners);
        targetGroups = List.copyOf(targetGroups);
    }

    /** The same config with other process-wide settings. */
    public WavelbConfig withRuntime(RuntimeSettings other) {
        return new WavelbConfig(admin, other, listeners, targetGroups, flowLog);
    }

    /** Without flow logs. */
    public WavelbConfig(AdminConfig admin, RuntimeSettings runtime, List<ListenerConfig> listeners,
                        List<TargetGroupConfig> targetGroups) {
        this(admin, runtime, listeners, targetGroups, FlowLogConfig.OFF);
    }

    public Optional<TargetGroupConfig> targetGroup(String name) {
        return targetGroups.stream().filter(g -> g.name().equals(name)).findFirst();
    }
}
