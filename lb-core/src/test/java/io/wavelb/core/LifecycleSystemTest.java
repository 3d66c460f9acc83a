package io.wavelb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.OutlierDetectionConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.admin.AdminException;
import io.wavelb.core.health.state.HealthStatus;
import io.wavelb.core.admin.AdminOperations;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.WithThreeEchoTargets;
import io.wavelb.core.testing.UdpClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Draining, health-driven rotation, fail-open, dynamic targets and hot reload, with real traffic. */
@Timeout(90)
class LifecycleSystemTest extends WithThreeEchoTargets {

    private final List<AutoCloseable> closeLater = new ArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void closeClients() throws Exception {
        for (AutoCloseable x : closeLater) {
            x.close();
        }
    }

    private static TargetGroupConfig group(String name, Duration deregistration, boolean terminateOnUnhealthy,
                                           String... targets) {
        return new TargetGroupConfig(name, Algorithm.MAGLEV,
                java.util.Arrays.stream(targets).map(t -> TargetConfig.of(HostPort.parse(t))).toList(), 65537,
                Optional.empty(), OutlierDetectionConfig.DEFAULTS, deregistration, terminateOnUnhealthy);
    }

    private static ListenerConfig listener(String name, int port, String group, Duration udpIdle) {
        return new ListenerConfig(name, Protocol.TCP_UDP, new HostPort("127.0.0.1", port), group,
                new UdpSettings(udpIdle, 10_000, 9216), TcpSettings.DEFAULTS);
    }

    private static WavelbConfig config(List<ListenerConfig> listeners, List<TargetGroupConfig> groups) {
        return new WavelbConfig(new AdminConfig(new HostPort("127.0.0.1", 0)),
                new RuntimeSettings(2, Transport.AUTO, Duration.ofSeconds(5)), listeners, groups);
    }

    private UdpClient client(InetSocketAddress vip) throws IOException {
        UdpClient u = new UdpClient(vip);
        closeLater.add(u);
        return u;
    }

    /** Opens UDP flows until one lands on each of the named targets; returns them by target name. */
    private Map<String, UdpClient> flowsOn(InetSocketAddress vip, String... names) throws IOException {
        Map<String, UdpClient> found = new HashMap<>();
        for (int i = 0; i < 200 && found.size() < names.length; i++) {
            UdpClient u = client(vip);
            String t = u.target("probe-" + i);
            if (List.of(names).contains(t) && !found.containsKey(t)) {
                found.put(t, u);
            }
        }
        assertThat(found).as("flows landing on %s", List.of(names)).containsOnlyKeys(names);
        return found;
    }

    private TargetGroup g() {
        return lb.targetGroups().get("g");
    }

    private Target member(EchoServer s) {
        return g().member(s.address());
    }

    @Test
    void drainedTargetGetsNoNewFlowsWhileItsSessionGoesOnUntilTheDeregistrationDelay() throws Exception {
        lb = LoadBalancer.start(config(List.of(listener("l", 0, "g", Duration.ofSeconds(60))),
                List.of(group("g", Duration.ofMillis(1500), false, a.address(), b.address()))));
        InetSocketAddress vip = lb.address("l");
        UdpClient onA = flowsOn(vip, "a").get("a");

        lb.drain("g", HostPort.parse(a.address()));
        assertThat(member(a).state()).isEqualTo("draining");
        for (int i = 0; i < 30; i++) {
            assertThat(client(vip).target("new-" + i)).as("new flow %d", i).isEqualTo("b");
        }
        assertThat(onA.target("still-here")).as("the draining target keeps its open session").isEqualTo("a");

        ListenerStats stats = lb.stats("l");
        await().atMost(Duration.ofSeconds(5)).until(() -> stats.total(ListenerCounter.CLOSED_TARGET_REMOVED) == 1);
        assertThat(onA.target("after-delay")).as("after the delay the flow starts over elsewhere").isEqualTo("b");
        assertThat(member(a)).as("an admin drain keeps the target in the group").isNotNull();
        assertThat(member(a).state()).isEqualTo("draining");
    }

    @Test
    void targetRemovedByReloadLeavesTheGroupOnceItsLastSessionIdlesOut() throws Exception {
        WavelbConfig before = config(List.of(listener("l", 0, "g", Duration.ofMillis(600))),
                List.of(group("g", Duration.ofSeconds(60), false, a.address(), b.address())));
        lb = LoadBalancer.start(before);
        InetSocketAddress vip = lb.address("l");
        UdpClient onA = flowsOn(vip, "a").get("a");
        // Same name, protocol and address (port 0 as configured): the listener and its sessions stay.
        WavelbConfig after = config(List.of(listener("l", 0, "g", Duration.ofMillis(600))),
                List.of(group("g", Duration.ofSeconds(60), false, b.address())));

        AdminOperations.ReloadOutcome outcome = lb.apply(after);
        assertThat(outcome).isInstanceOf(AdminOperations.Reloaded.class);
        assertThat(member(a).state()).isEqualTo("draining");
        assertThat(onA.target("during-drain")).isEqualTo("a");
        await().atMost(Duration.ofSeconds(5)).until(() -> member(a) == null);
        assertThat(lb.stats("l").total(ListenerCounter.CLOSED_TARGET_REMOVED)).isZero();
        assertThat(lb.stats("l").total(ListenerCounter.CLOSED_IDLE)).isPositive();
    }

    @Test
    void unhealthyTargetsFlowsMoveOnTheirNextDatagramWhileOtherFlowsStayPut() throws Exception {
        lb = LoadBalancer.start(config(List.of(listener("l", 0, "g", Duration.ofSeconds(60))),
                List.of(group("g", Duration.ofSeconds(60), false, a.address(), b.address(), c.address()))));
        InetSocketAddress vip = lb.address("l");
        Map<UdpClient, String> before = new HashMap<>();
        for (int i = 0; i < 60; i++) {
            UdpClient u = client(vip);
            before.put(u, u.target("x" + i));
        }
        assertThat(before.values()).contains("a", "b", "c");
        long created = lb.stats("l").total(ListenerCounter.SESSIONS_CREATED);

        g().health(member(a), HealthStatus.UNHEALTHY);
        long movedFlows = 0;
        for (Map.Entry<UdpClient, String> e : before.entrySet()) {
            String now = e.getKey().target("again");
            if (e.getValue().equals("a")) {
                assertThat(now).isIn("b", "c");
                movedFlows++;
            } else {
                assertThat(now).as("a flow on a healthy target stays there").isEqualTo(e.getValue());
            }
        }
        ListenerStats stats = lb.stats("l");
        assertThat(stats.total(ListenerCounter.CLOSED_TARGET_UNHEALTHY)).isEqualTo(movedFlows);
        assertThat(stats.total(ListenerCounter.SESSIONS_CREATED)).isEqualTo(created + movedFlows);
        assertThat(g().failOpen()).isFalse();
        assertThat(lb.readiness().ready()).isTrue();
    }

    @Test
    void whenNoTargetIsHealthyTheGroupFailsOpenAndReadinessSaysWhy() throws Exception {
        lb = LoadBalancer.start(config(List.of(listener("l", 0, "g", Duration.ofSeconds(60))),
                List.of(group("g", Duration.ofSeconds(60), false, a.address(), b.address()))));
        InetSocketAddress vip = lb.address("l");
        g().health(member(a), HealthStatus.UNHEALTHY);
        g().health(member(b), HealthStatus.UNHEALTHY);
        assertThat(g().failOpen()).isTrue();
        java.util.Set<String> reached = new java.util.HashSet<>();
        for (int i = 0; i < 40; i++) {
            reached.add(client(vip).target("fo" + i));
        }
        assertThat(reached).as("failing open routes to every target").containsExactlyInAnyOrder("a", "b");
        AdminOperations.Readiness r = lb.readiness();
        assertThat(r.ready()).isFalse();
        assertThat(r.reasons()).containsExactly("target group 'g' has no healthy target (failing open)");

        g().health(member(b), HealthStatus.HEALTHY);
        assertThat(g().failOpen()).isFalse();
        for (int i = 0; i < 20; i++) {
            assertThat(client(vip).target("ok" + i)).isEqualTo("b");
        }
        assertThat(lb.readiness().ready()).isTrue();
    }

    @Test
    void terminateOnUnhealthyClosesOpenTcpConnectionsToThatTarget() throws Exception {
        lb = LoadBalancer.start(config(List.of(listener("l", 0, "g", Duration.ofSeconds(60))),
                List.of(group("g", Duration.ofSeconds(60), true, a.address()))));
        try (Socket s = new Socket()) {
            s.connect(lb.address("l"), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write('1');
            assertThat(s.getInputStream().read()).isEqualTo('1');
            g().health(member(a), HealthStatus.UNHEALTHY);
            assertThat(s.getInputStream().read()).isEqualTo(-1);
        }
    }

    @Test
    void unhealthyTargetKeepsItsTcpConnectionsByDefault() throws Exception {
        lb = LoadBalancer.start(config(List.of(listener("l", 0, "g", Duration.ofSeconds(60))),
                List.of(group("g", Duration.ofSeconds(60), false, a.address(), b.address()))));
        try (Socket s = new Socket()) {
            s.connect(lb.address("l"), 5000);
            s.setSoTimeout(5000);
            s.getOutputStream().write('1');
            assertThat(s.getInputStream().read()).isEqualTo('1');
            g().health(member(a), HealthStatus.UNHEALTHY);
            g().health(member(b), HealthStatus.UNHEALTHY);
            s.getOutputStream().write('2');
            assertThat(s.getInputStream().read()).isEqualTo('2');
        }
    }

    @Test
    void dynamicTargetsJoinBesideConfigTargetsAndUnlistedOnesDrainOut() throws Exception {
        lb = LoadBalancer.start(config(List.of(listener("l", 0, "g", Duration.ofMillis(500))),
                List.of(group("g", Duration.ofSeconds(30), false, a.address()))));
        InetSocketAddress vip = lb.address("l");
        lb.replaceTargets("g", List.of(new AdminOperations.TargetSpec(HostPort.parse(b.address()), 100),
                new AdminOperations.TargetSpec(HostPort.parse(c.address()), 100)));
        assertThat(g().targets()).extracting(Target::id).containsExactly(a.address(), b.address(), c.address());
        assertThat(g().targets()).extracting(Target::source)
                .containsExactly(Target.Source.CONFIG, Target.Source.DYNAMIC, Target.Source.DYNAMIC);
        Map<String, UdpClient> flows = flowsOn(vip, "a", "b", "c");

        lb.replaceTargets("g", List.of(new AdminOperations.TargetSpec(HostPort.parse(c.address()), 100)));
        assertThat(member(b).state()).isEqualTo("draining");
        assertThat(flows.get("b").target("draining")).isEqualTo("b");
        await().atMost(Duration.ofSeconds(5)).until(() -> member(b) == null);
        assertThat(g().targets()).extracting(Target::id).containsExactly(a.address(), c.address());

        assertThatThrownBy(() -> lb.replaceTargets("nope", List.of()))
                .isInstanceOf(AdminException.class).hasMessageContaining("no target group 'nope'");
        assertThatThrownBy(() -> lb.replaceTargets("g", List.of(
                new AdminOperations.TargetSpec(HostPort.parse(b.address()), 100),
                new AdminOperations.TargetSpec(HostPort.parse(b.address()), 50))))
                .isInstanceOf(AdminException.class).hasMessageContaining("listed twice");
        assertThatThrownBy(() -> lb.replaceTargets("g", List.of(
                new AdminOperations.TargetSpec(HostPort.parse(b.address()), 0))))
                .isInstanceOf(AdminException.class).hasMessageContaining("targets[0]");
        assertThat(g().targets()).as("a refused list changes nothing").extracting(Target::id)
                .containsExactly(a.address(), c.address());
    }

    @Test
    void twentyReloadsUnderUdpAndTcpTrafficBreakNoFlow() throws Exception {
        int port = io.wavelb.core.testing.Ports.freeTcpAndUdp();
        WavelbConfig one = config(List.of(listener("l", port, "g", Duration.ofSeconds(120))),
                List.of(group("g", Duration.ofSeconds(300), false, a.address(), b.address(), c.address())));
        // The other config changes settings in place, reweights, adds a listener and a group.
        WavelbConfig two = config(List.of(listener("l", port, "g", Duration.ofSeconds(90)),
                        listener("extra", 0, "h", Duration.ofSeconds(10))),
                List.of(new TargetGroupConfig("g", Algorithm.MAGLEV, List.of(
                                new TargetConfig(HostPort.parse(a.address()), 300), TargetConfig.of(HostPort.parse(b.address())),
                                TargetConfig.of(HostPort.parse(c.address()))), 65537),
                        group("h", Duration.ofSeconds(1), false, c.address())));
        lb = LoadBalancer.start(one);
        InetSocketAddress vip = lb.address("l");
        List<UdpClient> udp = new ArrayList<>();
        List<String> pinned = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            UdpClient u = client(vip);
            udp.add(u);
            pinned.add(u.target("start-" + i));
        }
        List<Socket> tcp = new ArrayList<>();
        Random random = new Random(42);
        for (int i = 0; i < 10; i++) {
            Socket s = new Socket();
            s.connect(vip, 5000);
            s.setSoTimeout(5000);
            closeLater.add(s);
            tcp.add(s);
        }
        int broken = 0;
        for (int round = 0; round < 20; round++) {
            AdminOperations.ReloadOutcome o = lb.apply(round % 2 == 0 ? two : one);
            assertThat(o).as("reload %d", round).isInstanceOf(AdminOperations.Reloaded.class);
            for (int i = 0; i < udp.size(); i++) {
                String t = udp.get(i).target("r" + round + "-" + i);
                if (!pinned.get(i).equals(t)) {
                    broken++;
                }
            }
            for (Socket s : tcp) {
                byte[] data = new byte[1024];
                random.nextBytes(data);
                OutputStream out = s.getOutputStream();
                out.write(data);
                InputStream in = s.getInputStream();
                if (!java.util.Arrays.equals(in.readNBytes(data.length), data)) {
                    broken++;
                }
            }
        }
        assertThat(broken).isZero();
        ListenerStats stats = lb.stats("l");
        assertThat(stats.total(ListenerCounter.SESSIONS_CREATED)).as("no session was re-created").isEqualTo(30);
        assertThat(stats.total(ListenerCounter.TCP_ACCEPTED)).isEqualTo(10);
    }

    @Test
    void invalidOrUnbindableReloadKeepsTheRunningConfig() throws Exception {
        try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int taken = holder.getLocalPort();
            Path file = dir.resolve("wavelb.yaml");
            int port = io.wavelb.core.testing.Ports.freeTcpAndUdp();
            Files.writeString(file, yaml(port, a.address()));
            lb = LoadBalancer.start(io.wavelb.config.ConfigLoader.load(file), Optional.of(file), List.of());
            InetSocketAddress vip = lb.address("l");
            UdpClient flow = client(vip);
            assertThat(flow.target("before")).isEqualTo("a");

            Files.writeString(file, yaml(port, a.address()).replace("idle_timeout: 60s", "idle_timeout: 60"));
            AdminOperations.ReloadOutcome rejected = lb.reload();
            assertThat(rejected).isInstanceOf(AdminOperations.Rejected.class);
            assertThat(((AdminOperations.Rejected) rejected).problems().getFirst().format())
                    .startsWith(file + ":").contains("idle_timeout");

            Files.writeString(file, yaml(port, a.address()).replace("target_groups:", """
                      - name: clash
                        protocol: udp
                        listen: 127.0.0.1:%d
                        target_group: g
                    target_groups:""".formatted(taken)));
            AdminOperations.ReloadOutcome failed = lb.reload();
            assertThat(failed).isInstanceOf(AdminOperations.Failed.class);
            assertThat(((AdminOperations.Failed) failed).message()).contains("listener 'clash'").contains("address already in use");

            assertThat(lb.listeners()).hasSize(2);
            assertThat(flow.target("after")).isEqualTo("a");
            assertThat(lb.stats("l").total(ListenerCounter.SESSIONS_CREATED)).isEqualTo(1);

            Files.writeString(file, yaml(port, b.address()));
            assertThat(lb.reload()).isInstanceOf(AdminOperations.Reloaded.class);
            assertThat(client(vip).target("new flow after a good reload")).isEqualTo("b");
        }
    }

    /** Admin is not started by LoadBalancer.start in these tests; any valid port will do. */
    private static final int adminPort = 9;

    private static String yaml(int port, String target) {
        return """
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: l
                    protocol: tcp_udp
                    listen: 127.0.0.1:%d
                    target_group: g
                    udp:
                      idle_timeout: 60s
                target_groups:
                  - name: g
                    deregistration_delay: 1s
                    targets:
                      - address: %s
                """.formatted(adminPort, port, target);
    }
}
