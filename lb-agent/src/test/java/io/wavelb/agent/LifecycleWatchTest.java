package io.wavelb.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.aws.AutoScalingLifecycle;
import io.wavelb.agent.identity.Identity;
import io.wavelb.agent.reconcile.LifecycleSignal;
import io.wavelb.config.AgentConfig;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.autoscaling.AutoScalingClient;
import software.amazon.awssdk.services.autoscaling.model.CompleteLifecycleActionRequest;
import software.amazon.awssdk.services.autoscaling.model.CompleteLifecycleActionResponse;

class LifecycleWatchTest {

    @Test
    void lifecycleHookCallsCountAsAutoScalingCallsAndThrottles() throws Exception {
        List<CompleteLifecycleActionRequest> sent = new ArrayList<>();
        AutoScalingClient autoScaling = new AutoScalingClient() {
            @Override
            public CompleteLifecycleActionResponse completeLifecycleAction(CompleteLifecycleActionRequest request) {
                sent.add(request);
                if (sent.size() == 1) {
                    throw AgentApiCountsTest.answer(400, "Throttling");
                }
                return CompleteLifecycleActionResponse.builder().build();
            }

            @Override
            public String serviceName() {
                return "autoscaling";
            }

            @Override
            public void close() {
            }
        };
        Agent agent = AgentApiCountsTest.agent(Optional.empty());
        LifecycleWatch watch = new LifecycleWatch(new AgentConfig.Lifecycle("wavelb-drain", Optional.of("edge-bos"),
                Duration.ofSeconds(300), false), new Identity.Imds(Optional.of(URI.create("http://127.0.0.1:9"))),
                new AutoScalingLifecycle(autoScaling, "wavelb-drain", Optional.of("edge-bos"), "i-1")).bind(agent);

        // Never started: nothing to drain, straight to CompleteLifecycleAction (throttled once, then sent).
        assertThat(watch.drainThenComplete(agent, false, new LifecycleSignal.Leaving("test", true))).isTrue();

        assertThat(sent).hasSize(2);
        assertThat(AgentApiCountsTest.counts(agent, "autoscaling")).isEqualTo("2.0 calls, 1.0 throttles");
        assertThat(agent.metrics().scrape()).contains("wavelb_agent_lifecycle_completions_total 1.0")
                .contains("wavelb_agent_lifecycle_failures_total 1.0");
    }
}
