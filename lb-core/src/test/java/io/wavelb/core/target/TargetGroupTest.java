package io.wavelb.core.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.OutlierDetectionConfig;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.core.health.state.HealthStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The group's state changes, without sockets: time is passed in, targets are loopback addresses never dialled. */
class TargetGroupTest {

    private static final Duration DELAY = Duration.ofSeconds(30);
    private static final long T0 = 1_000_000_000L;

    private static TargetConfig target(int port) {
        return TargetConfig.of(HostPort.parse("127.0.0.1:" + port));
    }

    private static TargetGroupConfig config(Algorithm algorithm, boolean terminateOnUnhealthy, int... ports) {
        List<TargetConfig> targets = new ArrayList<>();
        for (int port : ports) {
            targets.add(target(port));
        }
        return new TargetGroupConfig("g", algorithm, targets, TargetGroupConfig.DEFAULT_MAGLEV_TABLE_SIZE,
                Optional.empty(), OutlierDetectionConfig.DEFAULTS, DELAY, terminateOnUnhealthy);
    }

    /** A closer of its own (a lambda capturing nothing would be one shared instance). */
    private static Runnable closer() {
        AtomicInteger runs = new AtomicInteger();
        return runs::incrementAndGet;
    }

    private static TargetGroup group(int... ports) {
        return TargetGroup.create(config(Algorithm.MAGLEV, false, ports));
    }

    /** Records what a membership listener hears. */
    private static final class Heard implements TargetGroup.MembershipListener {
        final List<String> events = new ArrayList<>();

        @Override
        public void added(TargetGroup group, Target target) {
            events.add("added " + target.id());
        }

        @Override
        public void removed(TargetGroup group, Target target) {
            events.add("removed " + target.id());
        }
    }

    @Test
    void anUnhealthyTargetLeavesRotationAndComesBackWhenHealthy() {
        TargetGroup g = group(5001, 5002);
        Target a = g.member("127.0.0.1:5001");
        g.health(a, HealthStatus.UNHEALTHY);
        assertThat(g.inRotation()).extracting(Target::id).containsExactly("127.0.0.1:5002");
        assertThat(a.inRotation()).isFalse();
        assertThat(a.shouldRepick()).isTrue();
        assertThat(a.state()).isEqualTo("unhealthy");
        assertThat(g.hasHealthyTarget()).isTrue();
        for (long hash = 0; hash < 200; hash++) {
            assertThat(g.open(hash)).isNotSameAs(a);
        }
        g.health(a, HealthStatus.HEALTHY);
        assertThat(g.inRotation()).hasSize(2);
        assertThat(a.state()).isEqualTo("healthy");
    }

    @Test
    void withNoHealthyTargetTheGroupFailsOpenToEveryNonDrainingOne() {
        TargetGroup g = group(5001, 5002, 5003);
        Target a = g.member("127.0.0.1:5001");
        Target b = g.member("127.0.0.1:5002");
        Target c = g.member("127.0.0.1:5003");
        g.drain(c.id(), T0);
        g.health(a, HealthStatus.UNHEALTHY);
        assertThat(g.failOpen()).isFalse();
        g.health(b, HealthStatus.UNHEALTHY);
        assertThat(g.failOpen()).isTrue();
        assertThat(g.hasHealthyTarget()).isFalse();
        assertThat(g.inRotation()).containsExactlyInAnyOrder(a, b);
        assertThat(c.inRotation()).isFalse();

        g.health(b, HealthStatus.HEALTHY);
        assertThat(g.failOpen()).isFalse();
        assertThat(g.inRotation()).containsExactly(b);
    }

    @Test
    void anEjectionLastsUntilItsDeadlineAndTheTickEndsIt() {
        TargetGroup g = group(5001, 5002);
        Target a = g.member("127.0.0.1:5001");
        g.eject(a, T0 + 10);
        assertThat(g.inRotation()).extracting(Target::id).containsExactly("127.0.0.1:5002");
        assertThat(a.state()).isEqualTo("unhealthy");
        g.tick(T0 + 9);
        assertThat(a.ejected()).isTrue();
        g.tick(T0 + 10);
        assertThat(a.ejected()).isFalse();
        assertThat(g.inRotation()).hasSize(2);
    }

    @Test
    void anAdminDrainTakesNoNewFlowsButKeepsTheTargetAMember() {
        TargetGroup g = group(5001, 5002);
        Heard heard = new Heard();
        g.addMembershipListener(heard);
        assertThat(g.drain("127.0.0.1:5001", T0)).isTrue();
        assertThat(g.drain("127.0.0.1:5999", T0)).isFalse();
        Target a = g.member("127.0.0.1:5001");
        assertThat(a.draining()).isTrue();
        assertThat(a.state()).isEqualTo("draining");
        assertThat(a.shouldRepick()).isFalse();
        assertThat(g.inRotation()).extracting(Target::id).containsExactly("127.0.0.1:5002");
        g.tick(T0 + DELAY.toNanos() * 2);
        assertThat(g.targets()).contains(a);
        assertThat(heard.events).isEmpty();
    }

    @Test
    void aTargetThatLeftIsRemovedAtOnceWithoutFlows() {
        TargetGroup g = group(5001, 5002);
        Heard heard = new Heard();
        g.addMembershipListener(heard);
        g.applyConfig(config(Algorithm.MAGLEV, false, 5002), T0);
        Target a = g.member("127.0.0.1:5001");
        assertThat(a.draining()).isTrue();
        assertThat(g.inRotation()).extracting(Target::id).containsExactly("127.0.0.1:5002");
        g.tick(T0 + 1);
        assertThat(g.member("127.0.0.1:5001")).isNull();
        assertThat(heard.events).containsExactly("removed 127.0.0.1:5001");
    }

    @Test
    void aTargetThatLeftKeepsItsFlowsUntilTheDeregistrationDelayThenTheyAreClosed() {
        TargetGroup g = group(5001, 5002);
        List<Target> purged = new ArrayList<>();
        g.addFlowPurger(purged::add);
        Target a = g.member("127.0.0.1:5001");
        AtomicInteger closes = new AtomicInteger();
        Runnable closer = closes::incrementAndGet;
        a.tcpConnectionOpened(closer);
        a.udpSessionOpened();
        g.applyConfig(config(Algorithm.MAGLEV, false, 5002), T0);

        g.tick(T0 + DELAY.toNanos() - 1);
        assertThat(g.member(a.id())).isSameAs(a);
        assertThat(purged).isEmpty();
        assertThat(closes).hasValue(0);

        g.tick(T0 + DELAY.toNanos());
        assertThat(purged).containsExactly(a);
        assertThat(closes).hasValue(1);
        assertThat(g.member(a.id())).isNull();
    }

    @Test
    void aTargetListedAgainWhileLeavingIsBackUnlessAnAdminDrainedIt() {
        TargetGroup g = group(5001, 5002);
        g.applyConfig(config(Algorithm.MAGLEV, false, 5002), T0);
        g.applyConfig(config(Algorithm.MAGLEV, false, 5001, 5002), T0 + 1);
        assertThat(g.member("127.0.0.1:5001").draining()).isFalse();
        assertThat(g.inRotation()).hasSize(2);

        g.drain("127.0.0.1:5001", T0 + 2);
        g.applyConfig(config(Algorithm.MAGLEV, false, 5002), T0 + 3);
        g.applyConfig(config(Algorithm.MAGLEV, false, 5001, 5002), T0 + 4);
        assertThat(g.member("127.0.0.1:5001").draining()).isTrue();
    }

    @Test
    void dynamicTargetsJoinBesideConfigOnesAndTheConfigWeightWins() {
        TargetGroup g = group(5001);
        Heard heard = new Heard();
        g.addMembershipListener(heard);
        g.replaceDynamic(List.of(new TargetConfig(HostPort.parse("127.0.0.1:5001"), 7),
                new TargetConfig(HostPort.parse("127.0.0.1:5002"), 7)), T0);
        assertThat(g.member("127.0.0.1:5001").weight()).isEqualTo(TargetConfig.DEFAULT_WEIGHT);
        assertThat(g.member("127.0.0.1:5001").source()).isEqualTo(Target.Source.CONFIG);
        assertThat(g.member("127.0.0.1:5002").source()).isEqualTo(Target.Source.DYNAMIC);
        assertThat(heard.events).containsExactly("added 127.0.0.1:5002");

        assertThatThrownBy(() -> g.replaceDynamic(List.of(target(5003), target(5003)), T0))
                .hasMessage("targets[1]: 127.0.0.1:5003 is listed twice");
        g.replaceDynamic(List.of(), T0 + 1);
        assertThat(g.member("127.0.0.1:5002").draining()).isTrue();
        assertThat(g.member("127.0.0.1:5001").draining()).isFalse();
    }

    @Test
    void terminateOnUnhealthyClosesTheTargetsTcpConnections() {
        TargetGroup g = TargetGroup.create(config(Algorithm.MAGLEV, true, 5001, 5002));
        Target a = g.member("127.0.0.1:5001");
        AtomicInteger closes = new AtomicInteger();
        a.tcpConnectionOpened(closes::incrementAndGet);
        g.health(a, HealthStatus.UNHEALTHY);
        assertThat(closes).hasValue(1);

        TargetGroup keep = group(5001);
        Target k = keep.member("127.0.0.1:5001");
        AtomicInteger kept = new AtomicInteger();
        k.tcpConnectionOpened(kept::incrementAndGet);
        keep.health(k, HealthStatus.UNHEALTHY);
        assertThat(kept).hasValue(0);
    }

    @Test
    void leastConnectionsReadsTheTargetsOwnCountsAcrossRebuilds() {
        TargetGroup g = TargetGroup.create(config(Algorithm.LEAST_CONNECTIONS, false, 5001, 5002));
        Target a = g.member("127.0.0.1:5001");
        Target b = g.member("127.0.0.1:5002");
        Runnable c1 = closer();
        Runnable c2 = closer();
        a.tcpConnectionOpened(c1);
        a.tcpConnectionOpened(c2);
        for (long hash = 0; hash < 20; hash++) {
            assertThat(g.open(hash)).isSameAs(b);
        }
        // A rebuild (here a health change of another kind) keeps the counts: they live on the target.
        g.health(b, HealthStatus.HEALTHY);
        assertThat(g.open(0)).isSameAs(b);
        a.tcpConnectionClosed(c1);
        a.tcpConnectionClosed(c2);
        Runnable c3 = closer();
        b.tcpConnectionOpened(c3);
        for (long hash = 0; hash < 20; hash++) {
            assertThat(g.open(hash)).isSameAs(a);
        }
        assertThat(g.open(0, new Target[] {a}, 1)).isSameAs(b);
    }

    @Test
    void aConnectionCountNeverGoesBelowZero() {
        Target a = group(5001).member("127.0.0.1:5001");
        Runnable closer = closer();
        a.tcpConnectionClosed(closer);
        assertThat(a.tcpConnections()).isZero();
        a.tcpConnectionOpened(closer);
        a.tcpConnectionClosed(closer);
        a.tcpConnectionClosed(closer);
        assertThat(a.tcpConnections()).isZero();
        assertThat(a.activeFlows()).isZero();
    }

    @Test
    void oneConnectionIsCountedOnceHoweverOftenItIsRegistered() {
        Target a = group(5001).member("127.0.0.1:5001");
        Runnable closer = closer();
        a.tcpConnectionOpened(closer);
        a.tcpConnectionOpened(closer);
        assertThat(a.tcpConnections()).isEqualTo(1);
        a.tcpConnectionClosed(closer);
        assertThat(a.tcpConnections()).isZero();
    }

    @Test
    void connectionCountsStayExactUnderConcurrentOpensAndCloses() throws InterruptedException {
        Target a = group(5001).member("127.0.0.1:5001");
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            threads.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 10_000; i++) {
                    Runnable closer = closer();
                    a.tcpConnectionOpened(closer);
                    a.tcpConnectionClosed(closer);
                    a.tcpConnectionClosed(closer);
                }
            }));
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertThat(a.tcpConnections()).isZero();
    }
}
