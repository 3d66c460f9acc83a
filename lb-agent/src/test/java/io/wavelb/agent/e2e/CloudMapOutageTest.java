package io.wavelb.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.wavelb.agent.Agent;
import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.discovery.DiscoveredInstance;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.feed.BalancerClient;
import io.wavelb.agent.identity.Identity;
import io.wavelb.agent.testing.FaultProxy;
import io.wavelb.agent.testing.MotoServer;
import io.wavelb.config.AgentConfigLoader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/**
 * Cloud Map down, Route 53 up: the balancer keeps its last targets (never an empty list), the
 * record still follows readiness, and a drain still deletes the record and marker, going through
 * every phase and reporting the one it could not finish.
 */
@Timeout(120)
class CloudMapOutageTest {

    @TempDir
    Path dir;

    @Test
    void aCloudMapOutageKeepsTheTargetsAndNeitherBlocksDnsNorTheDrain() throws Exception {
        AtomicBoolean ready = new AtomicBoolean(true);
        List<String> puts = new CopyOnWriteArrayList<>();
        HttpServer fakeBalancer = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        fakeBalancer.createContext("/readyz", ex -> {
            ex.sendResponseHeaders(ready.get() ? 200 : 503, -1);
            ex.close();
        });
        fakeBalancer.createContext("/v1/target-groups/media/targets", ex -> {
            puts.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        fakeBalancer.createContext("/v1/drain", ex -> {
            ex.sendResponseHeaders(202, -1);
            ex.close();
        });
        fakeBalancer.createContext("/v1/targets", ex -> {
            byte[] b = "{\"target_groups\":[{\"name\":\"media\",\"active_sessions\":0,\"active_connections\":0}]}"
                    .getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        fakeBalancer.start();
        Path token = Files.writeString(dir.resolve("admin.token"), "t0ken\n");
        try (MotoServer moto = MotoServer.start(); FaultProxy proxy = new FaultProxy(moto.endpoint())) {
            proxy.scheduledFaults = false;
            Route53Client direct = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient directSd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(direct, directSd);
            CloudMapInstances media = new CloudMapInstances(directSd, "edge.local", "media-servers");
            media.register("task-a", Map.of(DiscoveredInstance.IPV4, "10.0.1.10", DiscoveredInstance.PORT, "7000",
                    DiscoveredInstance.ZONE, "us-east-1-wl1-bos-wlz-1"));
            media.heartbeat("task-a", true);

            String admin = "http://127.0.0.1:" + fakeBalancer.getAddress().getPort();
            var config = AgentConfigLoader.parse("""
                    agent:
                      cluster_id: edge-media
                      balancer:
                        admin_url: %s
                        token_file: %s
                        target_group: media
                      identity:
                        instance_id: i-self
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
                        weight: 77
                      cloud_map:
                        namespace: edge.local
                        service: wavelb
                        targets_service: media-servers
                      drain:
                        dns_wait: 0s
                        timeout: 2s
                      reconcile:
                        max_attempts: 2
                        backoff_base: 10ms
                        backoff_max: 20ms
                    """.formatted(admin, token, proxy.endpoint(), zoneId.replace("/hostedzone/", "")), "outage.yaml");
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(proxy.endpoint()));
            Route53Records zone = new Route53Records(direct, zoneId);
            Agent agent = new Agent(config, Identity.resolve(config.identity(), Optional.empty()), zone,
                    new CloudMapInstances(sd, "edge.local", "wavelb"), new CloudMapInstances(sd, "edge.local", "media-servers"),
                    new BalancerClient(URI.create(admin), Optional.of(token)));
            agent.start();
            assertThat(weight(zone)).isEqualTo(77);
            assertThat(puts).containsExactly("{\"targets\":[{\"address\":\"10.0.1.10:7000\",\"weight\":100}]}");

            proxy.cloudMapDown = true;
            ready.set(false);
            for (int i = 0; i < 3; i++) {
                agent.tick();
            }
            assertThat(puts).as("no empty list pushed because Cloud Map failed").hasSize(1);
            assertThat(agent.metrics().scrape()).contains("wavelb_agent_cloud_map_unreachable 1.0");
            assertThat(weight(zone)).as("readiness still reaches DNS while Cloud Map is down").isZero();

            assertThat(agent.drain()).as("deregistration could not happen").isFalse();
            assertThat(agent.phase()).isEqualTo(Agent.Phase.DONE);
            assertThat(zone.read("media.example.com")).as("record and marker deleted all the same").isEmpty();
            assertThat(agent.metrics().scrape()).contains("wavelb_agent_drain_failures_total{phase=\"deregister\"} 1.0")
                    .contains("wavelb_agent_drain_failures_total{phase=\"delete_record\"} 0.0");
            assertThat(new CloudMapInstances(directSd, "edge.local", "wavelb").discoverAll())
                    .as("still registered: its peers collect it after stale_after").extracting(DiscoveredInstance::id)
                    .containsExactly("i-self");
            sd.close();
            direct.close();
            directSd.close();
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
