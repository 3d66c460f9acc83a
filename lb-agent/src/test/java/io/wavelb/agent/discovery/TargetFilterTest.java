package io.wavelb.agent.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetFilterTest {

    static DiscoveredInstance task(String id, String ip, String port, String zone) {
        return new DiscoveredInstance(id, Map.of(DiscoveredInstance.IPV4, ip, DiscoveredInstance.PORT, port,
                DiscoveredInstance.ZONE, zone));
    }

    static final String WLZ = "us-east-1-wl1-bos-wlz-1";

    @Test
    void keepsOnlyTheAgentsZoneUnlessCrossZone() {
        List<DiscoveredInstance> all = List.of(task("a", "10.0.1.10", "7000", WLZ), task("b", "10.0.2.10", "7000", "us-east-1a"));
        assertThat(TargetFilter.targets(all, WLZ, false).targets()).containsExactly(new TargetFilter.Target("10.0.1.10:7000", 100));
        assertThat(TargetFilter.targets(all, WLZ, false).skipped()).singleElement().asString().contains("cross_zone is off");
        assertThat(TargetFilter.targets(all, WLZ, true).targets()).hasSize(2);
    }

    @Test
    void instancesWithoutUsableAddressesAreSkippedWithAReason() {
        List<DiscoveredInstance> all = List.of(task("a", "not-an-ip", "7000", WLZ), task("b", "10.0.1.11", "0", WLZ),
                new DiscoveredInstance("c", Map.of(DiscoveredInstance.ZONE, WLZ)), task("d", "10.0.1.12", "7001", WLZ));
        TargetFilter.Result r = TargetFilter.targets(all, WLZ, false);
        assertThat(r.targets()).containsExactly(new TargetFilter.Target("10.0.1.12:7001", 100));
        assertThat(r.skipped()).hasSize(3);
    }

    @Test
    void orderIsStableWhateverCloudMapReturns() {
        List<DiscoveredInstance> a = List.of(task("x", "10.0.1.12", "1", WLZ), task("y", "10.0.1.10", "1", WLZ));
        List<DiscoveredInstance> b = List.of(a.get(1), a.get(0));
        assertThat(TargetFilter.targets(a, WLZ, false)).isEqualTo(TargetFilter.targets(b, WLZ, false));
    }

    @Test
    void aTargetsServerIdAttributeIsCarriedAndABadOneSkipsItWithAReason() {
        DiscoveredInstance good = new DiscoveredInstance("q1", Map.of(DiscoveredInstance.IPV4, "10.0.1.10",
                DiscoveredInstance.PORT, "443", DiscoveredInstance.ZONE, WLZ, DiscoveredInstance.SERVER_ID, "0x0001"));
        DiscoveredInstance bad = new DiscoveredInstance("q2", Map.of(DiscoveredInstance.IPV4, "10.0.1.11",
                DiscoveredInstance.PORT, "443", DiscoveredInstance.ZONE, WLZ, DiscoveredInstance.SERVER_ID, "0x1"));
        TargetFilter.Result r = TargetFilter.targets(List.of(good, bad, task("p", "10.0.1.12", "443", WLZ)), WLZ, false);
        assertThat(r.targets()).containsExactly(new TargetFilter.Target("10.0.1.10:443", 100, "0x0001"),
                new TargetFilter.Target("10.0.1.12:443", 100));
        assertThat(r.skipped()).singleElement().asString()
                .isEqualTo("q2: WAVELB_SERVER_ID '0x1' is not 1..15 bytes in hex");
    }
}
