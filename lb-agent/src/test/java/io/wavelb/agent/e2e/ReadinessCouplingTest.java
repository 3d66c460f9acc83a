package io.wavelb.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.wavelb.agent.Agent;
import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.feed.BalancerClient;
import io.wavelb.agent.identity.Identity;
import io.wavelb.agent.testing.MotoServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/** The published weight and Cloud Map health follow the balancer's /readyz. */
@Timeout(120)
class ReadinessCouplingTest {

    @Test
    void threeFailedReadinessPollsTakeTheInstanceOutOfDnsAndTheFirstSuccessPutsItBack() throws Exception {
        AtomicBoolean ready = new AtomicBoolean(true);
        HttpServer fakeBalancer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        fakeBalancer.createContext("/readyz", ex -> {
            ex.sendResponseHeaders(ready.get() ? 200 : 503, -1);
            ex.close();
        });
        fakeBalancer.start();
        try (MotoServer moto = MotoServer.start()) {
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            String admin = "http://127.0.0.1:" + fakeBalancer.getAddress().getPort();
            var config = InProcessAgentConfig.of(admin, moto.endpoint(), zoneId, "    weight: 77");
            Route53Records zone = new Route53Records(r53, zoneId);
            CloudMapInstances wavelb = new CloudMapInstances(sd, "edge.local", "wavelb");
            Agent agent = new Agent(config, Identity.resolve(config.identity(), Optional.empty()), zone, wavelb,
                    new CloudMapInstances(sd, "edge.local", "media-servers"), new BalancerClient(URI.create(admin), Optional.empty()));
            agent.start();
            assertThat(weight(zone)).isEqualTo(77);

            ready.set(false);
            agent.tick();
            agent.tick();
            assertThat(weight(zone)).as("two failures are not enough").isEqualTo(77);
            agent.tick();
            assertThat(weight(zone)).as("after three, out of DNS").isZero();
            assertThat(wavelb.discoverHealthy()).as("and UNHEALTHY in Cloud Map").isEmpty();

            ready.set(true);
            agent.tick();
            assertThat(weight(zone)).as("the first success restores it").isEqualTo(77);
            assertThat(wavelb.discoverHealthy()).hasSize(1);
            r53.close();
            sd.close();
        } finally {
            fakeBalancer.stop(0);
        }
    }

    private static int weight(Route53Records zone) {
        return zone.read("media.example.com").stream()
                .filter(r -> r.type() == RecordSet.Type.A && r.setIdentifier().equals("i-self"))
                .mapToInt(RecordSet::weight).findFirst().orElse(-1);
    }
}
