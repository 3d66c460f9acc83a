package io.wavelb.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.testing.FaultProxy;
import io.wavelb.agent.testing.ImdsServer;
import io.wavelb.agent.testing.MotoServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/**
 * Auto Scaling scale-in: IMDS's {@code autoscaling/target-lifecycle-state} turns to Terminated, and
 * the agent drains by itself (weight 0, DNS wait, balancer drain, record deleted, deregistered),
 * heartbeating the hook while it lasts, and only then completes the lifecycle action with CONTINUE.
 *
 * <p>The emulator holds no Auto Scaling group, hook or pending lifecycle action for this instance
 * (nor an instance-metadata service that would announce one), so RecordLifecycleActionHeartbeat and
 * CompleteLifecycleAction would fail there: the recording proxy in front of it answers those two
 * itself, and the test asserts the requests the agent sent — their order against the Route 53 and
 * Cloud Map calls, and their parameters.
 */
@Timeout(120)
class LifecycleHookTest {

    @TempDir
    Path dir;

    @Test
    void aTerminatingLifecycleStateDrainsThenCompletesTheAction() throws Exception {
        Map<String, String> metadata = new ConcurrentHashMap<>(Map.of("autoscaling/target-lifecycle-state", "InService"));
        try (MotoServer moto = MotoServer.start(); FaultProxy proxy = new FaultProxy(moto.endpoint());
             ImdsServer imds = new ImdsServer(metadata)) {
            proxy.scheduledFaults = false;
            proxy.answeredHere.addAll(List.of("CompleteLifecycleAction", "RecordLifecycleActionHeartbeat"));
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            int admin = AgentEndToEndTest.freePort();
            Files.writeString(dir.resolve("admin.token"), "e2e-token\n");
            String agent = AgentEndToEndTest.agentSection("edge-media", "media", admin, proxy.endpoint(), zoneId,
                    "media.example.com", AgentEndToEndTest.freePort())
                    .replace("    endpoint: " + proxy.endpoint() + "\n", "    endpoint: " + proxy.endpoint() + "\n    imds_endpoint: "
                            + imds.endpoint() + "\n");
            Files.writeString(dir.resolve("wavelb.yaml"), """
                    admin:
                      listen: 127.0.0.1:%d
                      token_file: admin.token
                    listeners:
                      - name: media
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: media
                    target_groups:
                      - name: media
                        targets:
                          - address: 127.0.0.1:9
                    %s  drain:
                        dns_wait: 3s
                        timeout: 5s
                      lifecycle:
                        hook_name: wavelb-drain
                        auto_scaling_group: edge-bos
                        heartbeat_interval: 1s
                    """.formatted(admin, AgentEndToEndTest.freePort(), agent));
            Process balancer = AgentEndToEndTest.startBalancer(dir);
            Process agentProcess = null;
            Route53Records zone = new Route53Records(r53, zoneId);
            try {
                agentProcess = AgentEndToEndTest.startAgent(dir);
                await().atMost(Duration.ofSeconds(30)).until(() -> zone.read("media.example.com").stream()
                        .anyMatch(r -> r.type() == RecordSet.Type.A && r.weight() == 100));
                assertThat(proxy.actions()).doesNotContain("CompleteLifecycleAction");
                metadata.put("autoscaling/target-lifecycle-state", "Terminated");
                assertThat(agentProcess.waitFor(60, TimeUnit.SECONDS)).as("the agent exits after completing").isTrue();
                String log = Files.readString(dir.resolve("agent.log"));
                assertThat(agentProcess.exitValue()).as(log).isZero();
                assertThat(log).containsSubsequence("lifecycle: Auto Scaling target lifecycle state Terminated: draining",
                        "drain phase: weight_zero", "drain phase: balancer_drain", "drain phase: delete_record",
                        "drain phase: deregister", "drain phase: done", "lifecycle: CompleteLifecycleAction CONTINUE sent");
                List<String> actions = proxy.actions();
                int complete = actions.indexOf("CompleteLifecycleAction");
                assertThat(complete).isPositive();
                assertThat(actions.lastIndexOf("CompleteLifecycleAction")).as("completed once").isEqualTo(complete);
                assertThat(actions.lastIndexOf("ChangeResourceRecordSets")).as("the record is deleted before").isLessThan(complete);
                assertThat(actions.lastIndexOf("DeregisterInstance")).as("deregistered before").isBetween(0, complete);
                assertThat(actions.subList(0, complete)).as("heartbeats while the drain lasted (3 s DNS wait, 1 s interval)")
                        .contains("RecordLifecycleActionHeartbeat");
                assertThat(actions.subList(complete + 1, actions.size())).doesNotContain("RecordLifecycleActionHeartbeat");
                String body = proxy.requests.get(complete).body();
                assertThat(body).contains("LifecycleActionResult=CONTINUE", "LifecycleHookName=wavelb-drain",
                        "AutoScalingGroupName=edge-bos", "InstanceId=i-self");
                assertThat(proxy.requests.get(complete).service()).isEqualTo("autoscaling");
                assertThat(zone.read("media.example.com")).as("record and marker gone").isEmpty();
            } finally {
                if (agentProcess != null) {
                    agentProcess.destroyForcibly();
                }
                AgentEndToEndTest.stop(balancer);
                r53.close();
                sd.close();
            }
        }
    }
}
