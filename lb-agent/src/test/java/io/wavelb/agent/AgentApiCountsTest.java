package io.wavelb.agent;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.CloudWatchLoad;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.feed.BalancerClient;
import io.wavelb.agent.identity.Identity;
import io.wavelb.config.AgentConfig;
import io.wavelb.config.AgentConfigLoader;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.PutMetricDataRequest;
import software.amazon.awssdk.services.cloudwatch.model.PutMetricDataResponse;

/** {@code wavelb_agent_throttles_total} counts what AWS throttled; any other failure is a call only. */
class AgentApiCountsTest {

    /** An AWS error answer as the SDK raises it. */
    static AwsServiceException answer(int status, String code) {
        return (AwsServiceException) AwsServiceException.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).errorMessage(code).build()).build();
    }

    /** Real adapters on an endpoint nobody answers (constructing the agent makes no call), plus {@code cloudWatch}. */
    static Agent agent(Optional<CloudWatchLoad> cloudWatch) throws Exception {
        AgentConfig config = AgentConfigLoader.load(Path.of("../config/examples/agent.yaml"));
        Optional<URI> nowhere = Optional.of(URI.create("http://127.0.0.1:9"));
        var sd = CloudMapInstances.client("us-east-1", nowhere);
        return new Agent(config, new Identity("i-1", "z", "z", "10.0.0.1", "155.146.10.20"),
                new Route53Records(Route53Records.client("us-east-1", nowhere), "Z1"),
                new CloudMapInstances(sd, "edge.local", "wavelb"), new CloudMapInstances(sd, "edge.local", "media-servers"),
                new BalancerClient(nowhere.get(), Optional.empty()), cloudWatch);
    }

    static String counts(Agent agent, String service) {
        String scrape = agent.metrics().scrape();
        return value(scrape, "wavelb_agent_api_calls_total", service) + " calls, "
                + value(scrape, "wavelb_agent_throttles_total", service) + " throttles";
    }

    private static String value(String scrape, String metric, String service) {
        String prefix = metric + "{service=\"" + service + "\"} ";
        return scrape.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length())).findFirst()
                .orElse("absent");
    }

    /** A CloudWatch whose every PutMetricData fails with {@code failure}. */
    private static CloudWatchLoad failingCloudWatch(RuntimeException failure) {
        return new CloudWatchLoad(new CloudWatchClient() {
            @Override
            public PutMetricDataResponse putMetricData(PutMetricDataRequest request) {
                throw failure;
            }

            @Override
            public String serviceName() {
                return "cloudwatch";
            }

            @Override
            public void close() {
            }
        }, "WaveLB", "edge-media", "z");
    }

    @Test
    void aCloudWatchCallThatFailsWithoutThrottlingIsACallNotAThrottle() throws Exception {
        Agent agent = agent(Optional.of(failingCloudWatch(answer(403, "AccessDenied"))));
        agent.publishLoad(0.5);
        assertThat(counts(agent, "cloudwatch")).isEqualTo("1.0 calls, 0.0 throttles");
    }

    @Test
    void aThrottledCloudWatchCallIsAThrottle() throws Exception {
        Agent agent = agent(Optional.of(failingCloudWatch(answer(400, "Throttling"))));
        agent.publishLoad(0.5);
        assertThat(counts(agent, "cloudwatch")).isEqualTo("1.0 calls, 1.0 throttles");
    }

    @Test
    void aCountedCallIsAThrottleOnlyWhenAwsThrottledIt() throws Exception {
        Agent agent = agent(Optional.empty());
        assertThat(agent.counted("ec2", () -> "ok")).isEqualTo("ok");
        for (RuntimeException failure : new RuntimeException[] {answer(403, "UnauthorizedOperation"),
                answer(503, "Unavailable"), new IllegalStateException("no answer"), answer(400, "RequestLimitExceeded")}) {
            try {
                agent.counted("ec2", () -> {
                    throw failure;
                });
            } catch (RuntimeException e) {
                assertThat(e).as("the failure reaches the caller").isSameAs(failure);
            }
        }
        assertThat(counts(agent, "ec2")).isEqualTo("5.0 calls, 1.0 throttles");
    }
}
