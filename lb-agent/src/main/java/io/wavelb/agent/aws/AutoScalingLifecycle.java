package io.wavelb.agent.aws;

import java.net.URI;
import java.util.Optional;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.AutoScalingInstanceDetails;

/**
 * The Auto Scaling edge of the termination lifecycle hook: heartbeats while the drain lasts, then
 * CompleteLifecycleAction with CONTINUE. The group is configured, or found once by
 * DescribeAutoScalingInstances.
 */
public final class AutoScalingLifecycle implements AutoCloseable {

    private final AutoScalingClient client;
    private final String hookName;
    private final String instanceId;
    private volatile String group;

    public AutoScalingLifecycle(AutoScalingClient client, String hookName, Optional<String> group, String instanceId) {
        this.client = client;
        this.hookName = hookName;
        this.group = group.orElse(null);
        this.instanceId = instanceId;
    }

    public static AutoScalingClient client(String region, Optional<URI> endpoint) {
        return AwsClients.build(AutoScalingClient.builder(), region, endpoint, false);
    }

    /** The instance's group: configured, else asked once. */
    public String group() {
        String g = group;
        if (g == null) {
            g = client.describeAutoScalingInstances(r -> r.instanceIds(instanceId)).autoScalingInstances().stream()
                    .findFirst().map(AutoScalingInstanceDetails::autoScalingGroupName)
                    .orElseThrow(() -> new IllegalStateException(instanceId + " is in no Auto Scaling group"));
            group = g;
        }
        return g;
    }

    /** Extends the hook's timeout by its heartbeat timeout. */
    public void heartbeat() {
        client.recordLifecycleActionHeartbeat(r -> r.autoScalingGroupName(group()).lifecycleHookName(hookName)
                .instanceId(instanceId));
    }

    /** Lets the termination go on. */
    public void complete() {
        client.completeLifecycleAction(r -> r.autoScalingGroupName(group()).lifecycleHookName(hookName)
                .instanceId(instanceId).lifecycleActionResult("CONTINUE"));
    }

    @Override
    public void close() {
        client.close();
    }
}
