package io.wavelb.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.Agent;
import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.feed.BalancerClient;
import io.wavelb.agent.identity.Identity;
import io.wavelb.agent.testing.FaultProxy;
import io.wavelb.agent.testing.MotoServer;
import io.wavelb.config.AgentConfig;
import io.wavelb.config.AgentConfigLoader;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/**
 * The client-side Route 53 budget ({@code agent.reconcile.route53_rate} / {@code route53_burst})
 * holds for every request the agent sends, retries after Throttling included, while the backoff
 * alone would retry far faster.
 */
@Timeout(120)
class Route53BudgetTest {

    @Test
    void everyRoute53RequestIncludingRetriesStaysWithinTheConfiguredBudget() throws Exception {
        try (MotoServer moto = MotoServer.start(); FaultProxy faults = new FaultProxy(moto.endpoint())) {
            Route53Client direct = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient directSd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(direct, directSd).replace("/hostedzone/", "");

            AgentConfig config = AgentConfigLoader.parse("""
                    agent:
                      cluster_id: edge-media
                      balancer:
                        admin_url: http://127.0.0.1:9
                        target_group: media
                      identity:
                        instance_id: i-budget
                        zone: us-east-1-wl1-bos-wlz-1
                        private_ip: 10.0.1.5
                        public_ip: 155.146.10.20
                      aws:
                        region: us-east-1
                        endpoint: %s
                      dns:
                        hosted_zone_id: %s
                        record_name: media.example.com
                        ttl: 1s
                      cloud_map:
                        namespace: edge.local
                        service: wavelb
                        targets_service: media-servers
                      reconcile:
                        route53_rate: 4
                        route53_burst: 1
                        backoff_base: 1ms
                        backoff_max: 10ms
                        max_attempts: 10
                    """.formatted(faults.endpoint(), zoneId), "budget.yaml");
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(faults.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(faults.endpoint()));
            try {
                Agent agent = new Agent(config, Identity.resolve(config.identity(), Optional.empty()),
                        new Route53Records(r53, zoneId), new CloudMapInstances(sd, "edge.local", "wavelb"),
                        new CloudMapInstances(sd, "edge.local", "media-servers"),
                        new BalancerClient(URI.create("http://127.0.0.1:9"), Optional.empty()));
                agent.start();
                agent.tick();

                List<Long> at = faults.route53RequestNanos;
                assertThat(at.size()).as("the throttled changes were retried").isGreaterThanOrEqualTo(8);
                // Burst 1 at 4/s: request n is sent no earlier than (n - 1) x 250 ms after the first.
                for (int n = 1; n < at.size(); n++) {
                    assertThat(Duration.ofNanos(at.get(n) - at.getFirst()))
                            .as("request %d of %d", n, at.size())
                            .isGreaterThanOrEqualTo(Duration.ofMillis(250L * n - 20));
                }
                assertThat(new Route53Records(direct, zoneId).read("media.example.com"))
                        .filteredOn(r -> r.type() == RecordSet.Type.A && r.setIdentifier().equals("i-budget"))
                        .singleElement().extracting(RecordSet::values).isEqualTo(List.of("155.146.10.20"));
                assertThat(agent.metrics().scrape()).contains("wavelb_agent_route53_budget_tokens");
            } finally {
                r53.close();
                sd.close();
                direct.close();
                directSd.close();
            }
        }
    }
}
