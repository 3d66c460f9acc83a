package io.wavelb.agent.reaper;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.discovery.DiscoveredInstance;
import io.wavelb.agent.dns.DnsPlanner;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.testing.FaultProxy;
import io.wavelb.agent.testing.MotoServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/**
 * The reaper's Lambda handler, invoked with the event shapes AWS documents, against the emulator
 * (through a recording proxy): it deletes this cluster's record and marker of the instance named
 * and deregisters it, is idempotent, never touches another cluster's record, and ignores events
 * for instances that are not leaving or never registered. The calls it made are exactly the IAM
 * actions its CloudFormation template grants.
 */
@Timeout(120)
public class ReaperTest {

    static final String NAME = "media.example.com";

    public static String event(String file, String instanceId) throws Exception {
        return Files.readString(Path.of("src/test/resources/events", file)).replace("INSTANCE_ID", instanceId);
    }

    public static String invoke(ReaperLambda lambda, String event) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        lambda.handleRequest(new ByteArrayInputStream(event.getBytes(StandardCharsets.UTF_8)), out, null);
        return out.toString(StandardCharsets.UTF_8);
    }

    public static Map<String, String> env(String endpoint, String zoneId) {
        return Map.of("AWS_REGION", "us-east-1", "WAVELB_AWS_ENDPOINT", endpoint, "WAVELB_CLUSTER_ID", "edge-media",
                "WAVELB_HOSTED_ZONE_ID", zoneId, "WAVELB_RECORD_NAMES", NAME, "WAVELB_CLOUD_MAP_NAMESPACE", "edge.local",
                "WAVELB_CLOUD_MAP_SERVICE", "wavelb");
    }

    static void publish(Route53Records zone, String cluster, String id, String ip) throws Exception {
        zone.apply(DnsPlanner.plan(cluster, NAME, zone.read(NAME), Optional.of(new DnsPlanner.Desired(id, ip, 100, 30)), id,
                Set.of()).changes(), Duration.ofSeconds(10));
    }

    static Set<String> owners(Route53Records zone) {
        return zone.read(NAME).stream().map(r -> r.type() + ":" + r.setIdentifier()).collect(Collectors.toCollection(TreeSet::new));
    }

    @Test
    void eachDocumentedEventShapeCollectsOnlyThisClustersRecordOfALeavingInstance() throws Exception {
        try (MotoServer moto = MotoServer.start(); FaultProxy proxy = new FaultProxy(moto.endpoint())) {
            proxy.scheduledFaults = false;
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd).replace("/hostedzone/", "");
            Route53Records zone = new Route53Records(r53, zoneId);
            CloudMapInstances wavelb = new CloudMapInstances(sd, "edge.local", "wavelb");
            for (String id : List.of("i-a", "i-b", "i-c", "i-d")) {
                publish(zone, "edge-media", id, "155.146.10.2" + id.charAt(2) % 10);
                wavelb.register(id, Map.of(DiscoveredInstance.IPV4, "10.0.1.5"));
            }
            publish(zone, "other-cluster", "i-x", "155.146.20.1");
            ReaperLambda lambda = new ReaperLambda(env(proxy.endpoint().toString(), zoneId));

            assertThat(invoke(lambda, event("ec2-state-stopping.json", "i-a")))
                    .isEqualTo("{\"instance\":\"i-a\",\"records_deleted\":2,\"deregistered\":true,\"refused\":[]}");
            assertThat(owners(zone)).doesNotContain("A:i-a", "TXT:i-a").contains("A:i-b", "TXT:i-b");
            assertThat(wavelb.isRegistered("i-a")).isFalse();
            assertThat(invoke(lambda, event("ec2-state-stopping.json", "i-a"))).as("idempotent")
                    .isEqualTo("{\"instance\":\"i-a\",\"records_deleted\":0,\"deregistered\":false,\"refused\":[]}");

            assertThat(invoke(lambda, event("ec2-state-stopped.json", "i-b"))).contains("\"records_deleted\":2");
            assertThat(invoke(lambda, event("ec2-state-shutting-down.json", "i-c"))).contains("\"records_deleted\":2");
            assertThat(invoke(lambda, event("asg-terminate-lifecycle-action.json", "i-d"))).contains("\"records_deleted\":2")
                    .contains("\"deregistered\":true");

            String other = invoke(lambda, event("ec2-state-terminated.json", "i-x"));
            assertThat(other).contains("\"records_deleted\":0").contains("owned by cluster 'other-cluster'");
            assertThat(owners(zone)).as("another cluster's record is never touched").containsExactly("A:i-x", "TXT:i-x");

            publish(zone, "edge-media", "i-e", "155.146.10.30");
            wavelb.register("i-e", Map.of(DiscoveredInstance.IPV4, "10.0.1.6"));
            assertThat(invoke(lambda, event("ec2-state-running.json", "i-e"))).isEqualTo("{\"reaped\":null}");
            assertThat(owners(zone)).contains("A:i-e");
            int before = proxy.requests.size();
            assertThat(invoke(lambda, event("ec2-state-terminated.json", "i-unknown")))
                    .isEqualTo("{\"instance\":\"i-unknown\",\"records_deleted\":0,\"deregistered\":false,\"refused\":[]}");
            assertThat(proxy.requests.subList(before, proxy.requests.size())).extracting(FaultProxy.Request::action)
                    .as("an unknown instance changes nothing").doesNotContain("ChangeResourceRecordSets", "DeregisterInstance");
            assertThat(owners(zone)).containsExactly("A:i-e", "A:i-x", "TXT:i-e", "TXT:i-x");

            Set<String> called = proxy.requests.stream().map(r -> r.service() + ":" + r.action())
                    .collect(Collectors.toCollection(TreeSet::new));
            assertThat(called).as("the calls the reaper made").isEqualTo(ReaperTemplateTest.awsActionsGranted());
            r53.close();
            sd.close();
        }
    }
}
