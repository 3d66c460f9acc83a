package io.wavelb.agent.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.discovery.DiscoveredInstance;
import io.wavelb.agent.testing.MotoServer;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/** Registration, heartbeat, discovery and revision against a real Cloud Map emulator (moto). */
@Timeout(300)
class CloudMapInstancesMotoTest {

    static MotoServer moto;
    static ServiceDiscoveryClient client;

    @BeforeAll
    static void start() throws Exception {
        moto = MotoServer.start();
        client = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
        String op = client.createHttpNamespace(r -> r.name("edge.local").creatorRequestId("ns")).operationId();
        String nsId = client.getOperation(r -> r.operationId(op)).operation().targets().values().iterator().next();
        client.createService(r -> r.name("wavelb").namespaceId(nsId).healthCheckCustomConfig(h -> h.failureThreshold(1)));
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    @Test
    void registersDiscoversFollowsHealthAndDeregisters() {
        CloudMapInstances cm = new CloudMapInstances(client, "edge.local", "wavelb");
        long before = cm.revision();
        cm.register("i-one", Map.of(DiscoveredInstance.IPV4, "10.0.1.5", DiscoveredInstance.CARRIER_IP, "155.146.10.20",
                DiscoveredInstance.ZONE, "us-east-1-wl1-bos-wlz-1"));
        cm.heartbeat("i-one", true);
        assertThat(cm.revision()).as("a registration moves the revision").isNotEqualTo(before);
        assertThat(cm.discoverHealthy()).singleElement().satisfies(i -> {
            assertThat(i.id()).isEqualTo("i-one");
            assertThat(i.attributes()).containsEntry(DiscoveredInstance.CARRIER_IP, "155.146.10.20");
        });

        cm.heartbeat("i-one", false);
        assertThat(cm.discoverHealthy()).as("an unhealthy heartbeat hides it").isEmpty();
        cm.heartbeat("i-one", true);
        assertThat(cm.discoverHealthy()).hasSize(1);

        cm.deregister("i-one");
        assertThat(cm.discoverHealthy()).isEmpty();
    }
}
