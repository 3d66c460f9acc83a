package io.wavelb.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Ec2Addresses;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.discovery.DiscoveredInstance;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/**
 * The identity follows the instance: the agent learns its id and zone from the IMDSv2 stub, its
 * public address from EC2 and its network border group from DescribeAvailabilityZones (a Local
 * Zone, whose group is not its name); an Elastic IP re-associated in the emulator reaches the
 * record and the Cloud Map registration. moto's DescribeAvailabilityZones knows no Local Zones and
 * returns no networkBorderGroup, so the proxy answers that one call with the shape EC2 documents.
 */
@Timeout(120)
class IdentityFollowsInstanceTest {

    static final String LOCAL_ZONE = "us-west-2-lax-1a";
    static final String BORDER_GROUP = "us-west-2-lax-1";

    @TempDir
    Path dir;

    @Test
    void aReassociatedAddressReachesTheRecordAndTheBorderGroupComesFromEc2() throws Exception {
        try (MotoServer moto = MotoServer.start(); FaultProxy proxy = new FaultProxy(moto.endpoint())) {
            proxy.scheduledFaults = false;
            proxy.answers.put("DescribeAvailabilityZones", """
                    <DescribeAvailabilityZonesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
                      <requestId>proxy</requestId>
                      <availabilityZoneInfo><item>
                        <zoneName>%s</zoneName><zoneState>available</zoneState><regionName>us-west-2</regionName>
                        <zoneId>usw2-lax1-az1</zoneId><groupName>%s</groupName><networkBorderGroup>%s</networkBorderGroup>
                        <zoneType>local-zone</zoneType><optInStatus>opted-in</optInStatus>
                      </item></availabilityZoneInfo>
                    </DescribeAvailabilityZonesResponse>""".formatted(LOCAL_ZONE, BORDER_GROUP, BORDER_GROUP));
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            Ec2Client ec2 = Ec2Addresses.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            String image = ec2.describeImages(r -> r.maxResults(5)).images().getFirst().imageId();
            String instance = ec2.runInstances(r -> r.imageId(image).minCount(1).maxCount(1)).instances().getFirst().instanceId();
            String first = ec2.allocateAddress(r -> r.domain("vpc")).allocationId();
            String second = ec2.allocateAddress(r -> r.domain("vpc")).allocationId();
            String firstIp = ec2.describeAddresses(r -> r.allocationIds(first)).addresses().getFirst().publicIp();
            String secondIp = ec2.describeAddresses(r -> r.allocationIds(second)).addresses().getFirst().publicIp();
            ec2.associateAddress(r -> r.allocationId(first).instanceId(instance));
            try (ImdsServer imds = new ImdsServer(Map.of("instance-id", instance, "placement/availability-zone", LOCAL_ZONE,
                    "local-ipv4", "10.0.1.5", "public-ipv4", "192.0.2.1"))) {
                String agent = AgentEndToEndTest.agentSection("edge-media", "media", AgentEndToEndTest.freePort(),
                                proxy.endpoint(), zoneId, "media.example.com", AgentEndToEndTest.freePort())
                        .replaceAll("(?s)  identity:\n.*?public_ip: [0-9.]+\n", "")
                        .replace("    endpoint: " + proxy.endpoint() + "\n", "    endpoint: " + proxy.endpoint()
                                + "\n    imds_endpoint: " + imds.endpoint() + "\n");
                assertThat(agent).doesNotContain("identity:");
                Files.writeString(dir.resolve("wavelb.yaml"), agent);
                Files.writeString(dir.resolve("admin.token"), "t\n");
                Process p = AgentEndToEndTest.startAgent(dir);
                Route53Records zone = new Route53Records(r53, zoneId);
                CloudMapInstances wavelb = new CloudMapInstances(sd, "edge.local", "wavelb");
                try {
                    // No balancer answers: the record is published at weight 0, with the address.
                    await().atMost(Duration.ofSeconds(30)).until(() -> values(zone, instance).equals(List.of(firstIp)));
                    assertThat(wavelb.discoverAll()).singleElement().satisfies(i -> assertThat(i.attributes())
                            .containsEntry(DiscoveredInstance.NETWORK_BORDER_GROUP, BORDER_GROUP)
                            .containsEntry(DiscoveredInstance.ZONE, LOCAL_ZONE)
                            .containsEntry(DiscoveredInstance.CARRIER_IP, firstIp));
                    ec2.associateAddress(r -> r.allocationId(second).instanceId(instance).allowReassociation(true));
                    await().atMost(Duration.ofSeconds(30)).until(() -> values(zone, instance).equals(List.of(secondIp)));
                    await().atMost(Duration.ofSeconds(10)).until(() -> wavelb.discoverAll().stream().anyMatch(i ->
                            secondIp.equals(i.attributes().get(DiscoveredInstance.CARRIER_IP))));
                    assertThat(Files.readString(dir.resolve("agent.log")))
                            .contains("identity changed: public address " + firstIp + " -> " + secondIp);
                } finally {
                    AgentEndToEndTest.stop(p);
                    r53.close();
                    sd.close();
                    ec2.close();
                }
            }
        }
    }

    private static List<String> values(Route53Records zone, String instance) {
        return zone.read("media.example.com").stream()
                .filter(r -> r.type() == RecordSet.Type.A && r.setIdentifier().equals(instance))
                .map(RecordSet::values).findFirst().orElse(List.of());
    }
}
