package io.wavelb.agent.aws;

import java.net.URI;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
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
        var b = AutoScalingClient.builder().httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
                .region(Region.of(region));
        if (endpoint.isPresent()) {
            b.endpointOverride(endpoint.get())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("wavelb", "wavelb")));
        } else {
            b.credentialsProvider(DefaultCredentialsProvider.builder().build());
        }
        return b.build();
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
