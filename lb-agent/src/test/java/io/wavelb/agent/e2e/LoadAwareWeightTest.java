package io.wavelb.agent.e2e;

import static io.wavelb.agent.e2e.AgentEndToEndTest.WLZ;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.discovery.DiscoveredInstance;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.testing.FaultProxy;
import io.wavelb.agent.testing.MotoServer;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/**
 * {@code dns.weight: auto} end to end: UDP flows driven through a real balancer fill its session
 * cap, the agent reads {@code GET /v1/load} and the record's weight in the emulator goes down with
 * the load and back up when the flows end, changing no more often than the hysteresis allows.
 */
@Timeout(120)
class LoadAwareWeightTest {

    private static final Pattern CHANGE = Pattern.compile("weight (\\d+) -> (\\d+): ");
    private static final int MIN_CHANGE = 10;
    private static final Duration MIN_INTERVAL = Duration.ofSeconds(2);

    @TempDir
    Path dir;

    @Test
    void theWeightFollowsALoadRampDownAndBackUpWithinTheHysteresis() throws Exception {
        try (MotoServer moto = MotoServer.start(); FaultProxy proxy = new FaultProxy(moto.endpoint());
             DatagramSocket target = AgentEndToEndTest.udpEcho("t")) {
            proxy.scheduledFaults = false;
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            CloudMapInstances media = new CloudMapInstances(sd, "edge.local", "media-servers");
            media.register("task-a", Map.of(DiscoveredInstance.IPV4, "127.0.0.1", DiscoveredInstance.PORT,
                    Integer.toString(target.getLocalPort()), DiscoveredInstance.ZONE, WLZ));
            media.heartbeat("task-a", true);
            int admin = AgentEndToEndTest.freePort();
            int vipPort = AgentEndToEndTest.freePort();
            Files.writeString(dir.resolve("admin.token"), "e2e-token\n");
            String agent = AgentEndToEndTest.agentSection("edge-media", "media", admin, proxy.endpoint(), zoneId,
                    "media.example.com", AgentEndToEndTest.freePort()).replace("    ttl: 1s\n", """
                        ttl: 1s
                        weight: auto
                        auto_weight:
                          max_weight: 100
                          target_utilization: 0.5
                          min_change: %d
                          min_interval: %ds
                    """.formatted(MIN_CHANGE, MIN_INTERVAL.toSeconds())).replace("    region: us-east-1\n", """
                        region: us-east-1
                        cloudwatch:
                          namespace: WaveLB
                          interval: 1s
                    """).replace("    heartbeat_interval: 1s\n    stale_after: 3s\n", """
                        heartbeat_interval: 60s
                        stale_after: 180s
                    """);
            Files.writeString(dir.resolve("wavelb.yaml"), """
                    admin:
                      listen: 127.0.0.1:%d
                      token_file: admin.token
                    listeners:
                      - name: media
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: media
                        udp:
                          max_sessions: 20
                          idle_timeout: 2s
                    target_groups:
                      - name: media
                        targets: []
                    %s  drain:
                        dns_wait: 0s
                        timeout: 1s
                    """.formatted(admin, vipPort, agent));
            Process balancer = AgentEndToEndTest.startBalancer(dir);
            Process agentProcess = null;
            List<DatagramSocket> clients = new CopyOnWriteArrayList<>();
            List<Integer> seen = new CopyOnWriteArrayList<>();
            Route53Records zone = new Route53Records(r53, zoneId);
            InetSocketAddress vip = new InetSocketAddress("127.0.0.1", vipPort);
            // Keeps every open client's session alive (one datagram each per 500 ms, idle timeout 2 s).
            Thread keeper = Thread.ofVirtual().start(() -> {
                byte[] b = {'k'};
                for (int i = 0; i < 400 && !Thread.currentThread().isInterrupted(); i++) {
                    for (DatagramSocket c : clients) {
                        try {
                            c.send(new DatagramPacket(b, 1, vip));
                        } catch (java.io.IOException closed) {
                            // closed by the ramp-down
                        }
                    }
                    try {
                        Thread.sleep(500);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            long start = System.nanoTime();
            try {
                agentProcess = AgentEndToEndTest.startAgent(dir);
                awaitWeight(zone, seen, 100);
                // Ramp up: 8 of 20 sessions (0.4, under the 0.5 target), 14 (0.7), 18 (0.9).
                openClients(clients, vip, 8);
                Thread.sleep(3000);
                assertThat(weight(zone)).as("under the target utilization: the ceiling").isEqualTo(100);
                openClients(clients, vip, 6);
                awaitWeight(zone, seen, 60);
                // Re-registered in the round that decided it, before Route 53 heard of it: not at the
                // next heartbeat, a minute away here.
                assertThat(registeredWeight(sd)).as("WAVELB_WEIGHT in Cloud Map once Route 53 has 60").isEqualTo("60");
                openClients(clients, vip, 4);
                awaitWeight(zone, seen, 20);
                // Ramp down: the flows end, their sessions idle out, the weight returns to the ceiling.
                for (DatagramSocket c : clients) {
                    c.close();
                }
                clients.clear();
                awaitWeight(zone, seen, 100);
            } finally {
                keeper.interrupt();
                clients.forEach(DatagramSocket::close);
                if (agentProcess != null) {
                    AgentEndToEndTest.stop(agentProcess);
                }
                AgentEndToEndTest.stop(balancer);
                r53.close();
                sd.close();
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            String log = Files.readString(dir.resolve("agent.log"));
            List<int[]> changes = new ArrayList<>();
            Matcher m = CHANGE.matcher(log);
            while (m.find()) {
                changes.add(new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))});
            }
            assertThat(seen).as("weights seen in Route 53").containsSubsequence(100, 60, 20, 100);
            assertThat(changes).as(log).isNotEmpty();
            for (int[] c : changes.subList(1, changes.size())) {
                assertThat(Math.abs(c[1] - c[0]) >= MIN_CHANGE || c[1] == 1 || c[1] == 100)
                        .as("a change of %d -> %d moved at least min_change or reached the floor or ceiling", c[0], c[1])
                        .isTrue();
            }
            assertThat(changes.size()).as("at most one weight change per min_interval over %.0f s", elapsed)
                    .isLessThanOrEqualTo((int) (elapsed / MIN_INTERVAL.toSeconds()) + 1);
            long batches = proxy.actions().stream().filter("ChangeResourceRecordSets"::equals).count();
            assertThat(batches).as("Route 53 changes: the first publish, readiness, weight changes, the drain")
                    .isLessThanOrEqualTo(changes.size() + 4);
            assertThat(log).contains("listener 'media' sessions 18/20");
            // aws.cloudwatch: the same load figure reached CloudWatch, dimensioned by cluster and zone.
            try (var cw = io.wavelb.agent.aws.CloudWatchLoad.client("us-east-1", Optional.of(moto.endpoint()))) {
                var metrics = cw.listMetrics(r -> r.namespace("WaveLB")).metrics();
                assertThat(metrics).anySatisfy(mt -> {
                    assertThat(mt.metricName()).isEqualTo("LoadUtilization");
                    assertThat(mt.dimensions()).extracting(d -> d.name() + "=" + d.value())
                            .containsExactlyInAnyOrder("ClusterId=edge-media", "Zone=" + WLZ);
                });
            }
            assertThat(proxy.actions()).contains("PutMetricData");
        }
    }

    private static void openClients(List<DatagramSocket> clients, InetSocketAddress vip, int n) throws Exception {
        for (int i = 0; i < n; i++) {
            DatagramSocket c = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            c.send(new DatagramPacket(new byte[] {'o'}, 1, vip));
            clients.add(c);
        }
    }

    private static String registeredWeight(ServiceDiscoveryClient sd) {
        return new CloudMapInstances(sd, "edge.local", "wavelb").discoverAll().stream()
                .filter(i -> i.id().equals("i-self")).findFirst().orElseThrow()
                .attributes().get(DiscoveredInstance.WEIGHT);
    }

    private static int weight(Route53Records zone) {
        return zone.read("media.example.com").stream()
                .filter(r -> r.type() == RecordSet.Type.A && r.setIdentifier().equals("i-self"))
                .mapToInt(RecordSet::weight).findFirst().orElse(-1);
    }

    private static void awaitWeight(Route53Records zone, List<Integer> seen, int want) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250)).until(() -> {
            int w = weight(zone);
            if (seen.isEmpty() || seen.getLast() != w) {
                seen.add(w);
            }
            return w == want;
        });
    }
}
