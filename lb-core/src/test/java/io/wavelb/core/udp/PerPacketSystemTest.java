package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.ConfigLoader;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.admin.AdminOperations;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code udp.mode: per_packet} on loopback: one client address and port (a resolver, a syslog
 * relay) is spread over every target, replies come back from the listener's address, the client's
 * session holds one socket per target (a leg), {@code max_sessions} bounds the legs (the datagram
 * goes by the first target instead, counted), and a removed target's leg ends.
 */
@Timeout(90)
class PerPacketSystemTest {

    private static final int DATAGRAMS = 300;

    private static WavelbConfig config(String mode, int maxSessions, List<EchoServer> targets, int admin, int port)
            throws io.wavelb.config.ConfigException {
        StringBuilder list = new StringBuilder();
        for (EchoServer t : targets) {
            list.append("      - address: ").append(t.address()).append('\n');
        }
        return ConfigLoader.parse("""
                runtime:
                  event_loops: 2
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: dns
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: g
                    udp:
                      mode: %s
                      max_sessions: %d
                target_groups:
                  - name: g
                    deregistration_delay: 0s
                    targets:
                %s""".formatted(admin, port, mode, maxSessions, list), "per-packet.yaml");
    }

    /**
     * Sends {@code count} datagrams from one socket, one at a time, and counts the replies by the
     * target that answered. A reply that does not come in a second is retried once (the machine may
     * be busy); every reply must come from the listener's address.
     */
    private static Map<String, Integer> exchange(DatagramSocket client, InetSocketAddress vip, int count) throws IOException {
        Map<String, Integer> byTarget = new TreeMap<>();
        client.setSoTimeout(1000);
        byte[] in = new byte[2048];
        for (int i = 0; i < count; i++) {
            byte[] out = ("q" + i).getBytes(StandardCharsets.UTF_8);
            for (int attempt = 0; attempt < 3; attempt++) {
                client.send(new DatagramPacket(out, out.length, vip));
                DatagramPacket p = new DatagramPacket(in, in.length);
                try {
                    client.receive(p);
                } catch (SocketTimeoutException e) {
                    continue;
                }
                assertThat(p.getSocketAddress()).as("a reply comes from the listener").isEqualTo(vip);
                String reply = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
                byTarget.merge(reply.substring(0, reply.indexOf('|')), 1, Integer::sum);
                break;
            }
        }
        return byTarget;
    }

    @Test
    void oneClientAddressReachesEveryTarget() throws Exception {
        try (EchoServer a = EchoServer.start("a"); EchoServer b = EchoServer.start("b"); EchoServer c = EchoServer.start("c");
             LoadBalancer lb = LoadBalancer.start(config("per_packet", 1000, List.of(a, b, c), Ports.freeTcpAndUdp(),
                     Ports.freeTcpAndUdp()));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            Map<String, Integer> byTarget = exchange(client, lb.address("dns"), DATAGRAMS);
            assertThat(byTarget.keySet()).as("targets that answered one client address").containsExactly("a", "b", "c");
            // Each datagram is picked on its own, a third each: 40 of 300 is more than 5 sigma below.
            assertThat(byTarget.values()).allSatisfy(n -> assertThat(n).isGreaterThan(40));
            assertThat(byTarget.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(DATAGRAMS);
            var stats = lb.stats("dns");
            assertThat(stats.total(ListenerCounter.UDP_LEGS_OPENED)).as("one leg per other target").isEqualTo(2);
            assertThat(stats.total(ListenerCounter.SESSIONS_CREATED)).as("the session and its legs").isEqualTo(3);
            assertThat(stats.total(ListenerCounter.UDP_LEG_FALLBACK)).isZero();
        }
    }

    @Test
    void perFlowKeepsTheClientOnOneTarget() throws Exception {
        try (EchoServer a = EchoServer.start("a"); EchoServer b = EchoServer.start("b"); EchoServer c = EchoServer.start("c");
             LoadBalancer lb = LoadBalancer.start(config("per_flow", 1000, List.of(a, b, c), Ports.freeTcpAndUdp(),
                     Ports.freeTcpAndUdp()));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            Map<String, Integer> byTarget = exchange(client, lb.address("dns"), 50);
            assertThat(byTarget).hasSize(1);
            assertThat(lb.stats("dns").total(ListenerCounter.UDP_LEGS_OPENED)).isZero();
        }
    }

    @Test
    void maxSessionsBoundsTheLegsAndNothingIsDropped() throws Exception {
        try (EchoServer a = EchoServer.start("a"); EchoServer b = EchoServer.start("b"); EchoServer c = EchoServer.start("c");
             LoadBalancer lb = LoadBalancer.start(config("per_packet", 2, List.of(a, b, c), Ports.freeTcpAndUdp(),
                     Ports.freeTcpAndUdp()));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            Map<String, Integer> byTarget = exchange(client, lb.address("dns"), 150);
            assertThat(byTarget).as("the session and one leg: two targets").hasSize(2);
            assertThat(byTarget.values().stream().mapToInt(Integer::intValue).sum()).as("every datagram answered")
                    .isEqualTo(150);
            var stats = lb.stats("dns");
            assertThat(stats.total(ListenerCounter.UDP_LEGS_OPENED)).isEqualTo(1);
            assertThat(stats.total(ListenerCounter.UDP_LEG_FALLBACK)).as("datagrams whose pick had no room").isPositive();
            assertThat(stats.total(ListenerCounter.DROPPED_SESSION_CAP)).isZero();
        }
    }

    @Test
    void aRemovedTargetsLegEndsAndTheRestGoOn() throws Exception {
        int admin = Ports.freeTcpAndUdp();
        int port = Ports.freeTcpAndUdp();
        try (EchoServer a = EchoServer.start("a"); EchoServer b = EchoServer.start("b"); EchoServer c = EchoServer.start("c");
             LoadBalancer lb = LoadBalancer.start(config("per_packet", 1000, List.of(a, b, c), admin, port));
             DatagramSocket client = new DatagramSocket(new InetSocketAddress("127.0.0.1", 0))) {
            InetSocketAddress vip = lb.address("dns");
            assertThat(exchange(client, vip, DATAGRAMS).keySet()).containsExactly("a", "b", "c");
            // Without c (deregistration delay 0s): c's leg ends, if it is a leg; if c was the
            // session's first target, the whole session ends and the next datagram opens another.
            assertThat(lb.apply(config("per_packet", 1000, List.of(a, b), admin, vip.getPort())))
                    .isInstanceOf(AdminOperations.Reloaded.class);
            var stats = lb.stats("dns");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                    .until(() -> stats.total(ListenerCounter.CLOSED_TARGET_REMOVED) >= 1);
            assertThat(exchange(client, vip, 100).keySet()).containsExactly("a", "b");
        }
    }
}
