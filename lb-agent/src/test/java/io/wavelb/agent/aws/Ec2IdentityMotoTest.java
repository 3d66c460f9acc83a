package io.wavelb.agent.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.agent.identity.Identity;
import io.wavelb.agent.testing.ImdsTestServer;
import io.wavelb.agent.testing.MotoServer;
import io.wavelb.config.AgentConfig;
import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.ec2.Ec2Client;
import software.amazon.awssdk.services.ec2.model.Instance;

/** Identity learned from our IMDSv2 server and moto's EC2, as on an instance with nothing configured. */
class Ec2IdentityMotoTest {

    static MotoServer moto;

    @BeforeAll
    static void startMoto() throws Exception {
        moto = MotoServer.start();
    }

    @AfterAll
    static void stopMoto() {
        moto.close();
    }

    @Test
    void learnsIdAndZoneFromImdsV2TokenFirstAndTheReachableAddressFromEc2() throws Exception {
        Instance instance;
        try (Ec2Client ec2 = AwsClients.build(Ec2Client.builder(), "us-east-1", Optional.of(moto.endpoint()))) {
            String launched = ec2.runInstances(r -> r.imageId("ami-12c6146b").minCount(1).maxCount(1)
                    .placement(p -> p.availabilityZone("us-east-1a"))).instances().getFirst().instanceId();
            // An Elastic IP stands in for the Carrier IP, which moto does not model.
            String allocation = ec2.allocateAddress(r -> r.domain("vpc")).allocationId();
            ec2.associateAddress(r -> r.allocationId(allocation).instanceId(launched));
            instance = ec2.describeInstances(r -> r.instanceIds(launched))
                    .reservations().getFirst().instances().getFirst();
        }
        String id = instance.instanceId();
        try (ImdsTestServer imds = new ImdsTestServer(Map.of("instance-id", id,
                "placement/availability-zone", "us-east-1a", "local-ipv4", instance.privateIpAddress()));
             Ec2Identity sources = new Ec2Identity("us-east-1", Optional.of(moto.endpoint()), Optional.of(imds.endpoint()))) {
            Identity me = Identity.resolve(AgentConfig.Identity.LEARNED, sources);
            assertThat(me.instanceId()).isEqualTo(id);
            assertThat(me.zone()).isEqualTo("us-east-1a");
            assertThat(me.privateIp()).isEqualTo(instance.privateIpAddress());
            // moto has no Carrier IPs: the rule falls back to the ENI association's public IP.
            assertThat(me.publicIp()).isEqualTo(instance.publicIpAddress()).isNotBlank();
            assertThat(me.networkBorderGroup()).isNotBlank();
            assertThat(imds.requests().getFirst()).isEqualTo("PUT /latest/api/token");
            assertThat(imds.requests()).contains("GET /latest/meta-data/instance-id");
        }
    }

    @Test
    void anUnansweredMetadataPathNamesTheKeyToSet() throws Exception {
        try (ImdsTestServer imds = new ImdsTestServer(Map.of());
             Ec2Identity sources = new Ec2Identity("us-east-1", Optional.of(moto.endpoint()), Optional.of(imds.endpoint()))) {
            assertThatThrownBy(() -> Identity.resolve(AgentConfig.Identity.LEARNED, sources))
                    .isInstanceOf(IOException.class).hasMessageContaining("instance-id").hasMessageContaining("agent.identity");
        }
    }
}
