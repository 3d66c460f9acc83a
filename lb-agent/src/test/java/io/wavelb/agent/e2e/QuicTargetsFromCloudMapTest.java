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
import java.net.ServerSocket;
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
 * QUIC affinity with discovered targets: two targets registered in Cloud Map with the attribute
 * {@code WAVELB_SERVER_ID} reach the balancer through the agent with their server IDs, and QUIC
 * short-header packets carrying an ID go to its target from any client address. Real processes
 * (balancer, agent, moto) on loopback.
 */
@Timeout(240)
class QuicTargetsFromCloudMapTest {

    @TempDir
    Path dir;

    /** A plaintext QUIC-LB connection ID (config 0, 2-byte server ID, 6-byte nonce) in a short header. */
    private static byte[] shortHeader(int serverId, int nonce) {
        return new byte[] {0x41, 0x08, 0, (byte) serverId, 1, 2, 3, 4, 5, (byte) nonce, 9, 9, 9, 9};
    }

    @Test
    void discoveredTargetsAreRoutedByTheServerIdsInTheirAttributes() throws Exception {
        try (MotoServer moto = MotoServer.start(); DatagramSocket one = AgentEndToEndTest.udpEcho("one");
             DatagramSocket two = AgentEndToEndTest.udpEcho("two")) {
            Route53Client r53 = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
            ServiceDiscoveryClient sd = CloudMapInstances.client("us-east-1", Optional.of(moto.endpoint()));
            String zoneId = moto.edgeWorld(r53, sd);
            CloudMapInstances quic = new CloudMapInstances(sd, "edge.local", "media-servers");
            quic.register("task-1", Map.of(DiscoveredInstance.IPV4, "127.0.0.1", DiscoveredInstance.PORT,
                    Integer.toString(one.getLocalPort()), DiscoveredInstance.ZONE, AgentEndToEndTest.WLZ,
                    DiscoveredInstance.SERVER_ID, "0x0001"));
            quic.register("task-2", Map.of(DiscoveredInstance.IPV4, "127.0.0.1", DiscoveredInstance.PORT,
                    Integer.toString(two.getLocalPort()), DiscoveredInstance.ZONE, AgentEndToEndTest.WLZ,
                    DiscoveredInstance.SERVER_ID, "0x0002"));
            quic.heartbeat("task-1", true);
            quic.heartbeat("task-2", true);

            int admin = AgentEndToEndTest.freePort();
            int vipPort = AgentEndToEndTest.freePort();
            Files.writeString(dir.resolve("admin.token"), "e2e-token\n");
            Files.writeString(dir.resolve("wavelb.yaml"), """
                    admin:
                      listen: 127.0.0.1:%d
                      token_file: admin.token
                    listeners:
                      - name: quic
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: quic
                        udp:
                          affinity: quic
                          quic_lb:
                            server_id_length: 2
                            nonce_length: 6
                    target_groups:
                      - name: quic
                        targets: []
                    %s""".formatted(admin, vipPort, AgentEndToEndTest.agentSection("edge-quic", "quic", admin, moto.endpoint(),
                    zoneId, "quic.example.com", AgentEndToEndTest.freePort())));
            Process balancer = AgentEndToEndTest.startBalancer(dir);
            Process agent = null;
            try {
                agent = AgentEndToEndTest.startAgent(dir);
                InetSocketAddress vip = new InetSocketAddress("127.0.0.1", vipPort);
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> "two".equals(AgentEndToEndTest.ask(vip, shortHeader(2, 0))));
                for (int client = 1; client <= 10; client++) {
                    // each ask is a new socket: a new client address every time
                    assertThat(AgentEndToEndTest.ask(vip, shortHeader(1, client))).as("server ID 1, client %d", client).isEqualTo("one");
                    assertThat(AgentEndToEndTest.ask(vip, shortHeader(2, client))).as("server ID 2, client %d", client).isEqualTo("two");
                }
                String targets = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + admin + "/v1/targets")).build(), HttpResponse.BodyHandlers.ofString()).body();
                assertThat(targets).contains("\"server_id\":\"0x0001\"").contains("\"server_id\":\"0x0002\"");
            } finally {
                if (agent != null) {
                    agent.destroyForcibly();
                }
                AgentEndToEndTest.stop(balancer);
                r53.close();
                sd.close();
            }
        }
    }
}
