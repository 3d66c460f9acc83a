package io.wavelb.agent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.discovery.DiscoveredInstance;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.testing.MotoServer;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.servicediscovery.ServiceDiscoveryClient;

/**
 * Agent + balancer + emulator, all real processes on loopback: targets registered in Cloud Map reach
 * the balancer (own zone only), the record is published, and SIGTERM drains in order.
 */
@Timeout(240)
class AgentEndToEndTest {

    static final String WLZ = "us-east-1-wl1-bos-wlz-1";

    @TempDir
    Path dir;

    /** A loopback port free for both TCP and UDP right now, outside the ephemeral range. */
    static int freePort() throws IOException {
        return io.wavelb.agent.testing.Ports.freeTcpAndUdp();
    }

    /** A UDP target answering "name|payload". */
    static DatagramSocket udpEcho(String name) throws IOException {
        DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[2048];
            while (!s.isClosed()) {
                try {
                    DatagramPacket p = new DatagramPacket(buf, buf.length);
                    s.receive(p);
                    byte[] out = (name + "|" + new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8))
                            .getBytes(StandardCharsets.UTF_8);
                    s.send(new DatagramPacket(out, out.length, p.getSocketAddress()));
                } catch (IOException e) {
                    return;
                }
            }
        });
        return s;
    }

    static String ask(InetSocketAddress to, String payload) throws IOException {
        return ask(to, payload.getBytes(StandardCharsets.UTF_8));
    }

    /** Sends {@code payload} from a fresh socket (a new client address) and returns the target's name, or null. */
    static String ask(InetSocketAddress to, byte[] payload) throws IOException {
        try (DatagramSocket c = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            c.send(new DatagramPacket(payload, payload.length, to));
            c.setSoTimeout(500);
            DatagramPacket in = new DatagramPacket(new byte[2048], 2048);
            c.receive(in);
            String s = new String(in.getData(), 0, in.getLength(), StandardCharsets.ISO_8859_1);
            return s.substring(0, s.indexOf('|'));
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    /**
     * The {@code agent:} section of a balancer-plus-agent config, as the e2e tests run it: feeds group
     * {@code group} of the balancer whose admin API is on {@code adminPort} (token file
     * {@code admin.token}), publishes {@code recordName} in {@code zoneId}, registers in and discovers
     * targets from edge.local (media-servers) in moto at {@code awsEndpoint}, polling and
     * heartbeating every second. Indented for a top-level YAML document; ends with a newline.
     */
    static String agentSection(String clusterId, String group, int adminPort, java.net.URI awsEndpoint, String zoneId,
                               String recordName, int metricsPort) {
        return """
                agent:
                  cluster_id: %s
                  balancer:
                    admin_url: http://127.0.0.1:%d
                    token_file: admin.token
                    target_group: %s
                  identity:
                    instance_id: i-self
                    zone: %s
                    private_ip: 10.0.1.5
                    public_ip: 155.146.10.20
                  aws:
                    region: us-east-1
                    endpoint: %s
                  dns:
                    hosted_zone_id: %s
                    record_name: %s
                    ttl: 1s
                  cloud_map:
                    namespace: edge.local
                    service: wavelb
                    targets_service: media-servers
                    poll_interval: 1s
                    heartbeat_interval: 1s
                    stale_after: 3s
                  metrics_listen: 127.0.0.1:%d
                """.formatted(clusterId, adminPort, group, WLZ, awsEndpoint, zoneId.replace("/hostedzone/", ""), recordName,
                metricsPort);
    }

    /** {@code bin/wavelb run} with {@code dir/wavelb.yaml}, once its UDP listener is up; logs to {@code dir/wavelb.log}. */
    static Process startBalancer(Path dir) throws IOException {
        Process balancer = new ProcessBuilder("../bin/wavelb", "run", "--config", dir.resolve("wavelb.yaml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("wavelb.log").toFile()).start();
        try {
            await().atMost(Duration.ofSeconds(90)).until(() -> Files.readString(dir.resolve("wavelb.log")).contains("on udp"));
        } catch (RuntimeException | Error notUp) {
            balancer.destroyForcibly();
            throw notUp;
        }
        return balancer;
    }

    /** The agent from this test classpath with {@code dir/wavelb.yaml}; logs to {@code dir/agent.log}. */
    static Process startAgent(Path dir) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), "io.wavelb.agent.cli.AgentMain",
                "run", "--config", dir.resolve("wavelb.yaml").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("agent.log").toFile()).start();
    }

    /** SIGTERM, then SIGKILL after 10 s. */
    static void stop(Process p) throws InterruptedException {
        p.toHandle().destroy();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
    }

    @Test
    void feedsZoneLocalTargetsPublishesTheRecordAndDrainsInOrderOnSigterm() throws Exception {
        try (MotoServer moto = MotoServer.start(); DatagramSocket inZone = udpEcho("in-zone");
             DatagramSocket otherZone = udpEcho("other-zone")) {
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            CloudMapInstances media = new CloudMapInstances(sd, "edge.local", "media-servers");
            media.register("task-a", Map.of(DiscoveredInstance.IPV4, "127.0.0.1", DiscoveredInstance.PORT,
                    Integer.toString(inZone.getLocalPort()), DiscoveredInstance.ZONE, WLZ));
            media.register("task-b", Map.of(DiscoveredInstance.IPV4, "127.0.0.1", DiscoveredInstance.PORT,
                    Integer.toString(otherZone.getLocalPort()), DiscoveredInstance.ZONE, "us-east-1a"));
            media.heartbeat("task-a", true);
            media.heartbeat("task-b", true);

            int admin = freePort();
            int vipPort = freePort();
            int metricsPort = freePort();
            Files.writeString(dir.resolve("admin.token"), "e2e-token\n");
            Files.writeString(dir.resolve("wavelb.yaml"), """
                    admin:
                      listen: 127.0.0.1:%d
                      token_file: admin.token
                    listeners:
                      - name: media
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: media
                    target_groups:
                      - name: media
                        deregistration_delay: 1s
                        targets: []
                    %s  drain:
                        dns_wait: 1s
                        timeout: 5s
                    """.formatted(admin, vipPort, agentSection("edge-media", "media", admin, moto.endpoint(), zoneId,
                    "media.example.com", metricsPort)));
            Process balancer = startBalancer(dir);
            Process agent = null;
            try {
                agent = startAgent(dir);
                InetSocketAddress vip = new InetSocketAddress("127.0.0.1", vipPort);
                // How soon the feed arrives is a timing, not a behaviour: on a busy machine the JVM
                // start alone varies by seconds, so the wait is generous and nothing asserts on it.
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> "in-zone".equals(ask(vip, "hello")));
                for (int i = 0; i < 30; i++) {
                    assertThat(ask(vip, "flow-" + i)).as("the other zone's target never gets traffic").isEqualTo("in-zone");
                }
                Route53Records zone = new Route53Records(r53, zoneId);
                await().atMost(Duration.ofSeconds(10)).until(() -> zone.read("media.example.com").contains(
                        new RecordSet("media.example.com", RecordSet.Type.A, "i-self", 100, 1, List.of("155.146.10.20"))));
                CloudMapInstances wavelb = new CloudMapInstances(sd, "edge.local", "wavelb");
                assertThat(wavelb.discoverHealthy()).extracting(DiscoveredInstance::id).containsExactly("i-self");
                String scrape = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + metricsPort + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(scrape).contains("wavelb_agent_published_weight 100.0")
                        .contains("wavelb_agent_drain_phase{phase=\"serving\"} 1.0")
                        .containsPattern("wavelb_agent_api_calls_total\\{service=\"route53\"} [1-9]");

                // SIGTERM: watch the emulator's state change phase by phase.
                agent.toHandle().destroy();
                List<String> states = new ArrayList<>();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (agent.isAlive() && System.nanoTime() < deadline) {
                    String s = stateOf(zone, wavelb);
                    if (states.isEmpty() || !states.getLast().equals(s)) {
                        states.add(s);
                    }
                    Thread.sleep(50);
                }
                String last = stateOf(zone, wavelb);
                if (!states.getLast().equals(last)) {
                    states.add(last);
                }
                assertThat(agent.waitFor(10, TimeUnit.SECONDS)).isTrue();
                assertThat(agent.exitValue()).as(Files.readString(dir.resolve("agent.log"))).isZero();
                // The weight goes to 0 while registered; the record goes before the registration (so
                // no state ever shows a record of a deregistered instance); both are gone at the end.
                assertThat(states).as("phases seen in the emulator, in order").containsSubsequence(
                        "weight=100 registered", "weight=0 registered");
                assertThat(states.getLast()).isEqualTo("no record deregistered");
                assertThat(states).noneMatch(st -> st.matches("weight=\\d+ deregistered"));
                assertThat(Files.readString(dir.resolve("agent.log"))).containsSubsequence("drain phase: weight_zero",
                        "drain phase: dns_wait", "drain phase: balancer_drain", "drain phase: delete_record",
                        "drain phase: deregister", "drain phase: done");
            } finally {
                if (agent != null) {
                    agent.destroyForcibly();
                }
                stop(balancer);
                r53.close();
                sd.close();
            }
        }
    }

    private static String stateOf(Route53Records zone, CloudMapInstances wavelb) {
        String record = zone.read("media.example.com").stream()
                .filter(r -> r.type() == RecordSet.Type.A && r.setIdentifier().equals("i-self"))
                .map(r -> "weight=" + r.weight()).findFirst().orElse("no record");
        boolean registered = wavelb.discoverHealthy().stream().anyMatch(i -> i.id().equals("i-self"));
        return record + (registered ? " registered" : " deregistered");
    }
}
