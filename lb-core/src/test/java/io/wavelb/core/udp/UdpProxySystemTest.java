package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.wavelb.config.Algorithm;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.WithThreeEchoTargets;
import io.wavelb.core.testing.TestConfigs;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** UDP through a real balancer on loopback to real echo servers. */
@Timeout(60)
class UdpProxySystemTest extends WithThreeEchoTargets {

    private List<String> targets() {
        return List.of(a.address(), b.address(), c.address());
    }

    /** Sends one datagram and returns the reply, or null when none comes within the timeout. */
    private static String exchange(DatagramSocket s, InetSocketAddress to, String payload, int timeoutMillis) throws IOException {
        byte[] out = payload.getBytes(StandardCharsets.UTF_8);
        s.send(new DatagramPacket(out, out.length, to));
        byte[] in = new byte[65536];
        DatagramPacket reply = new DatagramPacket(in, in.length);
        s.setSoTimeout(timeoutMillis);
        try {
            s.receive(reply);
        } catch (SocketTimeoutException e) {
            return null;
        }
        assertThat(reply.getSocketAddress()).as("reply comes from the address the client sent to").isEqualTo(to);
        return new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
    }

    @Test
    void fiveHundredFlowsEachStayOnOneTargetAndSpreadEvenly() throws Exception {
        lb = LoadBalancer.start(TestConfigs.udp(targets()));
        InetSocketAddress vip = lb.address("test");
        Map<String, Integer> flowsPerTarget = new HashMap<>();
        int flows = 500;
        int datagrams = 5;
        // Every client socket stays open until the end: a closed socket's port could be handed
        // out again and its "new" flow would be the old 4-tuple, still in its session.
        List<DatagramSocket> clients = new java.util.ArrayList<>();
        try {
            for (int f = 0; f < flows; f++) {
                DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                clients.add(client);
                Set<String> seen = new HashSet<>();
                for (int d = 0; d < datagrams; d++) {
                    String payload = "flow-" + f + "-dgram-" + d;
                    String reply = exchange(client, vip, payload, 2000);
                    assertThat(reply).as("reply to %s", payload).isNotNull();
                    int bar = reply.indexOf('|');
                    assertThat(reply.substring(bar + 1)).isEqualTo(payload);
                    seen.add(reply.substring(0, bar));
                }
                assertThat(seen).as("targets seen by flow %d", f).hasSize(1);
                flowsPerTarget.merge(seen.iterator().next(), 1, Integer::sum);
            }
        } finally {
            clients.forEach(DatagramSocket::close);
        }
        assertThat(flowsPerTarget).containsOnlyKeys("a", "b", "c");
        double even = flows / 3.0;
        for (Map.Entry<String, Integer> e : flowsPerTarget.entrySet()) {
            assertThat(e.getValue()).as("flows on %s (even = %.1f)", e.getKey(), even)
                    .isBetween((int) Math.floor(even * 0.75), (int) Math.ceil(even * 1.25));
        }
        ListenerStats stats = lb.stats("test");
        assertThat(stats.total(ListenerCounter.SESSIONS_CREATED)).isEqualTo(flows);
        assertThat(stats.total(ListenerCounter.DATAGRAMS_RX)).isEqualTo((long) flows * datagrams);
        // A reply is counted once its send returns on the loop, which may be after the client read it.
        await().atMost(Duration.ofSeconds(5))
                .untilAsserted(() -> assertThat(stats.total(ListenerCounter.DATAGRAMS_TX)).isEqualTo((long) flows * datagrams));
    }

    @Test
    void idleSessionExpiresAndTheNextDatagramOpensANewOne() throws Exception {
        lb = LoadBalancer.start(TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV,
                TestConfigs.udpSettings(Duration.ofMillis(300), 1000, 9216), TcpSettings.DEFAULTS, targets()));
        InetSocketAddress vip = lb.address("test");
        ListenerStats stats = lb.stats("test");
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            assertThat(exchange(client, vip, "one", 2000)).endsWith("|one");
            assertThat(lb.listeners().getFirst().activeFlows()).isEqualTo(1);
            await().atMost(Duration.ofSeconds(5)).until(() -> stats.total(ListenerCounter.CLOSED_IDLE) == 1);
            assertThat(lb.listeners().getFirst().activeFlows()).isZero();
            assertThat(lb.targetGroups().get("g").targets()).allMatch(t -> t.activeFlows() == 0);
            assertThat(exchange(client, vip, "two", 2000)).endsWith("|two");
            assertThat(stats.total(ListenerCounter.SESSIONS_CREATED)).isEqualTo(2);
        }
    }

    @Test
    void activeSessionIsNotExpiredWhileTrafficFlows() throws Exception {
        lb = LoadBalancer.start(TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV,
                TestConfigs.udpSettings(Duration.ofMillis(400), 1000, 9216), TcpSettings.DEFAULTS, targets()));
        InetSocketAddress vip = lb.address("test");
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            for (int i = 0; i < 12; i++) {
                assertThat(exchange(client, vip, "tick-" + i, 2000)).endsWith("|tick-" + i);
                Thread.sleep(100);
            }
        }
        assertThat(lb.stats("test").total(ListenerCounter.SESSIONS_CREATED)).isEqualTo(1);
        assertThat(lb.stats("test").total(ListenerCounter.CLOSED_IDLE)).isZero();
    }

    @Test
    void sessionCapCountsAndDropsOverflow() throws Exception {
        lb = LoadBalancer.start(TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV,
                TestConfigs.udpSettings(Duration.ofSeconds(60), 10, 9216), TcpSettings.DEFAULTS, targets()));
        InetSocketAddress vip = lb.address("test");
        int answered = 0;
        int unanswered = 0;
        List<DatagramSocket> clients = new java.util.ArrayList<>();
        try {
            for (int i = 0; i < 15; i++) {
                if (i >= 10) {
                    // Admitted flows that keep talking are never made room from (eviction takes
                    // only a session quiet for a second).
                    for (DatagramSocket admitted : clients.subList(0, 10)) {
                        assertThat(exchange(admitted, vip, "keepalive", 2000)).endsWith("|keepalive");
                    }
                }
                DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                clients.add(client);
                if (exchange(client, vip, "hello-" + i, i < 10 ? 2000 : 300) != null) {
                    answered++;
                } else {
                    unanswered++;
                }
            }
            // The ten admitted flows keep working while the cap holds others out.
            assertThat(exchange(clients.getFirst(), vip, "still-here", 2000)).endsWith("|still-here");
        } finally {
            clients.forEach(DatagramSocket::close);
        }
        assertThat(answered).isEqualTo(10);
        assertThat(unanswered).isEqualTo(5);
        assertThat(lb.stats("test").total(ListenerCounter.DROPPED_SESSION_CAP)).isEqualTo(5);
        assertThat(lb.listeners().getFirst().activeFlows()).isEqualTo(10);
    }

    @Test
    void atTheSessionCapANewClientTakesThePlaceOfASessionQuietForASecond() throws Exception {
        lb = LoadBalancer.start(TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV,
                TestConfigs.udpSettings(Duration.ofSeconds(60), 2, 9216), TcpSettings.DEFAULTS, targets()));
        InetSocketAddress vip = lb.address("test");
        try (DatagramSocket quiet = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket busy = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
             DatagramSocket late = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            assertThat(exchange(quiet, vip, "q", 2000)).endsWith("|q");
            assertThat(exchange(busy, vip, "b", 2000)).endsWith("|b");
            long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(1300);
            while (System.nanoTime() - until < 0) {
                assertThat(exchange(busy, vip, "b", 2000)).endsWith("|b");
                Thread.sleep(100);
            }
            // Without eviction the late client would wait the whole 60 s idle timeout. On the
            // quiet session's loop it takes its place at once; on another loop its refusal cuts
            // the idle timeout there to a second, so a retry gets in after the next sweep.
            String reply = null;
            for (int attempt = 0; attempt < 10 && reply == null; attempt++) {
                reply = exchange(late, vip, "late", 500);
            }
            assertThat(reply).endsWith("|late");
            assertThat(exchange(busy, vip, "b", 2000)).as("the busy session stays").endsWith("|b");
        }
        assertThat(lb.stats("test").total(ListenerCounter.CLOSED_SESSION_CAP)
                + lb.stats("test").total(ListenerCounter.CLOSED_IDLE)).as("the quiet session made room").isEqualTo(1);
        assertThat(lb.listeners().getFirst().activeFlows()).isEqualTo(2);
    }

    @Test
    void oversizedDatagramIsCountedAndDroppedNotTruncated() throws Exception {
        lb = LoadBalancer.start(TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV,
                TestConfigs.udpSettings(Duration.ofSeconds(60), 1000, 100), TcpSettings.DEFAULTS, targets()));
        InetSocketAddress vip = lb.address("test");
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            assertThat(exchange(client, vip, "x".repeat(101), 500)).isNull();
            assertThat(lb.stats("test").total(ListenerCounter.DROPPED_OVERSIZE)).isEqualTo(1);
            // 99 bytes pass in; the reply ("a|" + 99 bytes) is over the limit and dropped on the way back
            assertThat(exchange(client, vip, "y".repeat(99), 1000)).isNull();
            assertThat(lb.stats("test").total(ListenerCounter.DROPPED_OVERSIZE)).isEqualTo(2);
            String small = "z".repeat(50);
            assertThat(exchange(client, vip, small, 2000)).endsWith("|" + small);
        }
        assertThat(lb.stats("test").total(ListenerCounter.DATAGRAMS_RX)).isEqualTo(2);
    }

    @Test
    void deadTargetClosesTheSessionSoTheNextDatagramStartsAfresh() throws Exception {
        int deadPort;
        try (DatagramSocket probe = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            deadPort = probe.getLocalPort();
        }
        lb = LoadBalancer.start(TestConfigs.udp(List.of("127.0.0.1:" + deadPort)));
        InetSocketAddress vip = lb.address("test");
        ListenerStats stats = lb.stats("test");
        try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            // ICMP port unreachable arrives for the first datagram; the next datagram sees it.
            assertThat(exchange(client, vip, "anyone?", 300)).isNull();
            await().atMost(Duration.ofSeconds(5)).until(() -> {
                exchange(client, vip, "again?", 100);
                return stats.total(ListenerCounter.CLOSED_TARGET_UNREACHABLE) >= 1;
            });
        }
    }

    @Test
    void servesIpv6Clients() throws Exception {
        try (EchoServer v6 = EchoServer.start("v6", InetAddress.getByName("::1"))) {
            lb = LoadBalancer.start(TestConfigs.single(Protocol.UDP, Algorithm.MAGLEV, UdpSettings.DEFAULTS,
                    TcpSettings.DEFAULTS, List.of(v6.address()), "::1"));
            InetSocketAddress vip = lb.address("test");
            assertThat(vip.getAddress().getHostAddress()).contains(":");
            try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(InetAddress.getByName("::1"), 0))) {
                assertThat(exchange(client, vip, "hello6", 2000)).isEqualTo("v6|hello6");
            }
        }
    }

    @Test
    void sourceIpAffinityKeepsEveryFlowOfOneClientOnOneTarget() throws Exception {
        lb = LoadBalancer.start(TestConfigs.single(Protocol.UDP, Algorithm.SOURCE_IP, UdpSettings.DEFAULTS,
                TcpSettings.DEFAULTS, targets()));
        InetSocketAddress vip = lb.address("test");
        Map<String, Set<String>> targetsPerClientIp = new HashMap<>();
        for (int ip = 1; ip <= 30; ip++) {
            InetAddress src = InetAddress.getByName("127.0.0." + ip);
            for (int flow = 0; flow < 4; flow++) {
                try (DatagramSocket client = new DatagramSocket(new InetSocketAddress(src, 0))) {
                    String reply = exchange(client, vip, "x", 2000);
                    assertThat(reply).isNotNull();
                    targetsPerClientIp.computeIfAbsent(src.getHostAddress(), k -> new HashSet<>())
                            .add(reply.substring(0, reply.indexOf('|')));
                }
            }
        }
        assertThat(targetsPerClientIp.values()).allMatch(s -> s.size() == 1);
        Set<String> used = new HashSet<>();
        targetsPerClientIp.values().forEach(used::addAll);
        assertThat(used).as("30 client IPs use more than one target").hasSizeGreaterThan(1);
    }
}
