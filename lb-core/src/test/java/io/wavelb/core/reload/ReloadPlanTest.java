package io.wavelb.core.reload;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReloadPlanTest {

    private static ListenerConfig listener(String name, Protocol p, int port, String group, Duration idle) {
        return new ListenerConfig(name, p, new HostPort("127.0.0.1", port), group,
                new UdpSettings(idle, 100, 1500), TcpSettings.DEFAULTS);
    }

    private static WavelbConfig config(List<ListenerConfig> listeners, String... groups) {
        return new WavelbConfig(AdminConfig.DEFAULTS, RuntimeSettings.DEFAULTS, listeners,
                java.util.Arrays.stream(groups).map(g -> new TargetGroupConfig(g, Algorithm.MAGLEV, List.of(), 65537)).toList());
    }

    @Test
    void listenerWithTheSameNameProtocolAndAddressKeepsItsSocketsEvenWhenSettingsChange() {
        WavelbConfig before = config(List.of(listener("a", Protocol.UDP, 7000, "g", Duration.ofSeconds(120))), "g", "h");
        WavelbConfig after = config(List.of(listener("a", Protocol.UDP, 7000, "h", Duration.ofSeconds(30))), "g", "h");
        ReloadPlan plan = ReloadPlan.between(before, after);
        assertThat(plan.keptListeners()).hasSize(1);
        assertThat(plan.keptListeners().getFirst().changed()).isTrue();
        assertThat(plan.addedListeners()).isEmpty();
        assertThat(plan.removedListeners()).isEmpty();
        assertThat(plan.summary()).isEqualTo("listeners: 1 updated");
    }

    @Test
    void changedAddressOrProtocolIsARemovalPlusAnAddition() {
        WavelbConfig before = config(List.of(listener("a", Protocol.UDP, 7000, "g", Duration.ofSeconds(120)),
                listener("b", Protocol.TCP, 7001, "g", Duration.ofSeconds(120))), "g");
        WavelbConfig after = config(List.of(listener("a", Protocol.UDP, 7100, "g", Duration.ofSeconds(120)),
                listener("b", Protocol.TCP_UDP, 7001, "g", Duration.ofSeconds(120))), "g");
        ReloadPlan plan = ReloadPlan.between(before, after);
        assertThat(plan.keptListeners()).isEmpty();
        assertThat(plan.addedListeners()).extracting(ListenerConfig::name).containsExactly("a", "b");
        assertThat(plan.removedListeners()).extracting(ListenerConfig::name).containsExactly("a", "b");
    }

    @Test
    void groupsAreKeptAddedAndRemovedByName() {
        WavelbConfig before = config(List.of(listener("a", Protocol.UDP, 7000, "g", Duration.ofSeconds(1))), "g", "old");
        WavelbConfig after = config(List.of(listener("a", Protocol.UDP, 7000, "g", Duration.ofSeconds(1)),
                listener("n", Protocol.TCP, 7001, "new", Duration.ofSeconds(1))), "g", "new");
        ReloadPlan plan = ReloadPlan.between(before, after);
        assertThat(plan.keptGroups()).extracting(TargetGroupConfig::name).containsExactly("g");
        assertThat(plan.addedGroups()).extracting(TargetGroupConfig::name).containsExactly("new");
        assertThat(plan.removedGroups()).containsExactly("old");
        assertThat(plan.summary()).isEqualTo("listeners: 1 added; target groups: 1 added, 1 removed");
    }

    @Test
    void runtimeAndAdminAddressChangesAreFlaggedAsNeedingARestart() {
        WavelbConfig before = config(List.of(), "g");
        WavelbConfig after = new WavelbConfig(new AdminConfig(new HostPort("127.0.0.1", 9999)),
                new RuntimeSettings(4, io.wavelb.config.Transport.NIO, Duration.ofSeconds(1)), List.of(), before.targetGroups());
        ReloadPlan plan = ReloadPlan.between(before, after);
        assertThat(plan.restartNeeded()).containsExactly("runtime", "admin.listen");
        assertThat(ReloadPlan.between(before, before).summary()).isEqualTo("no listener or group changes (targets reconciled)");
    }
}
