package io.wavelb.agent.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.testing.MotoServer;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.ec2.Ec2Client;

/** The public address lookup against EC2 in moto (which has no Carrier IPs: the fallback path). */
@Timeout(120)
class Ec2AddressesMotoTest {

    @Test
    void findsTheAssociatedPublicIpWhenThereIsNoCarrierIp() throws Exception {
        try (MotoServer moto = MotoServer.start(); Ec2Client ec2 = Ec2Addresses.client("us-east-1", Optional.of(moto.endpoint()))) {
            String image = ec2.describeImages(r -> r.maxResults(5)).images().getFirst().imageId();
            String instance = ec2.runInstances(r -> r.imageId(image).minCount(1).maxCount(1)).instances().getFirst().instanceId();
            assertThat(Ec2Addresses.publicAddress(ec2, "i-does-not-exist")).isEmpty();
            String allocation = ec2.allocateAddress(r -> r.domain("vpc")).allocationId();
            String ip = ec2.describeAddresses(r -> r.allocationIds(allocation)).addresses().getFirst().publicIp();
            ec2.associateAddress(r -> r.allocationId(allocation).instanceId(instance));
            assertThat(Ec2Addresses.publicAddress(ec2, instance)).hasValue(ip);
        }
    }
}
