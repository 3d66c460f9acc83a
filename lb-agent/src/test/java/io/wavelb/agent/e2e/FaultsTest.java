package io.wavelb.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.Agent;
import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.dns.Ownership;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.feed.BalancerClient;
import io.wavelb.agent.identity.Identity;
import io.wavelb.agent.testing.FaultProxy;
import io.wavelb.agent.testing.MotoServer;
import java.net.URI;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/** Throttling, 503s, slow and dropped answers between the agent and AWS: it backs off and converges. */
@Timeout(240)
class FaultsTest {

    @Test
    void throttledAndFailingAwsStillConvergesToExactlyOneRecordAndMarker() throws Exception {
        try (MotoServer moto = MotoServer.start(); FaultProxy faults = new FaultProxy(moto.endpoint())) {
            Route53Client direct = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient directSd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(direct, directSd);

            var config = InProcessAgentConfig.of("http://127.0.0.1:9", faults.endpoint(), zoneId, "");
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(faults.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(faults.endpoint()));
            Identity me = Identity.resolve(config.identity(), Optional.empty());
            Agent agent = new Agent(config, me, new Route53Records(r53, zoneId),
                    new CloudMapInstances(sd, "edge.local", "wavelb"), new CloudMapInstances(sd, "edge.local", "media-servers"),
                    new BalancerClient(URI.create("http://127.0.0.1:9"), Optional.empty()));
            agent.start();
            for (int i = 0; i < 3; i++) {
                agent.tick();
            }
            assertThat(faults.faults.get()).as("faults were injected").isGreaterThanOrEqualTo(6);
            List<RecordSet> records = new Route53Records(direct, zoneId).read("media.example.com");
            assertThat(records).filteredOn(r -> r.setIdentifier().equals("i-self")).as("exactly one record and one marker")
                    .hasSize(2)
                    .anySatisfy(r -> assertThat(r).isEqualTo(new RecordSet("media.example.com", RecordSet.Type.A, "i-self",
                            agent.metrics().scrape().contains("wavelb_agent_published_weight 0.0") ? 0 : 100, 1,
                            List.of("155.146.10.20"))))
                    .anySatisfy(r -> assertThat(r.values()).containsExactly(new Ownership("edge-media", "i-self").txtValue()));
            String metrics = agent.metrics().scrape();
            assertThat(metrics).containsPattern("wavelb_agent_throttles_total\\{service=\"route53\"} [1-9]");
            assertThat(metrics).contains("wavelb_agent_drain_phase{phase=\"serving\"} 1.0");
            r53.close();
            sd.close();
            direct.close();
            directSd.close();
        }
    }
}
