package io.wavelb.core.transparent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The host diagnosis from facts as {@code /proc} and {@code ip} give them; no sockets, no commands run. */
class HostCheckTest {

    private static final long NET_RAW_ONLY = 1L << 13;
    private static final long NET_ADMIN_ONLY = 1L << 12;
    private static final List<String> DEFAULT_RULES_V4 = List.of("0:\tfrom all lookup local", "32766:\tfrom all lookup main",
            "32767:\tfrom all lookup default");
    private static final List<String> MAIN_ROUTES = List.of("default via 10.0.0.1 dev eth0",
            "10.0.0.0/24 dev eth0 proto kernel scope link src 10.0.0.5",
            "local 10.0.0.5 dev eth0 table local proto kernel scope host src 10.0.0.5");
    private static final TransparentNeeds EDGE_V4 = new TransparentNeeds("edge", Set.of(IpFamily.IPV4));

    private static HostFacts facts(long capEff, HostFacts.Routing v4) {
        return new HostFacts(capEff, Optional.empty(), Map.of(IpFamily.IPV4, v4));
    }

    private static HostFacts.Routing routed(String rule) {
        return HostFacts.Routing.of(List.of("0:\tfrom all lookup local", rule, "32766:\tfrom all lookup main"),
                List.of("local default dev lo table 100 scope host", "default via 10.0.0.1 dev eth0"));
    }

    @Test
    void eitherCapabilityIsEnoughAndNeitherIsAnErrorNamingTheListenerAndTheCapability() {
        HostFacts.Routing ok = routed("32765:\tfrom all iif br0 lookup 100");
        assertThat(HostCheck.diagnose(List.of(EDGE_V4), facts(NET_RAW_ONLY, ok))).allMatch(f -> f.severity() == Finding.Severity.OK);
        assertThat(HostCheck.diagnose(List.of(EDGE_V4), facts(NET_ADMIN_ONLY, ok))).allMatch(f -> f.severity() == Finding.Severity.OK);

        List<Finding> none = HostCheck.diagnose(List.of(EDGE_V4), facts(HostFacts.parseCapEff("00000000a80425fb") & ~(3L << 12), ok));
        assertThat(HostCheck.startable(none)).isFalse();
        assertThat(HostCheck.ready(none)).isFalse();
        assertThat(none.getFirst().severity()).isEqualTo(Finding.Severity.ERROR);
        assertThat(none.getFirst().message()).contains("listener 'edge' is transparent")
                .contains("neither CAP_NET_RAW nor CAP_NET_ADMIN").contains("AmbientCapabilities=CAP_NET_RAW");
    }

    @Test
    void aTransportThatCannotIsAnError() {
        HostFacts f = new HostFacts(NET_RAW_ONLY, Optional.of("transparent listeners need the epoll transport (this one is nio)"),
                Map.of(IpFamily.IPV4, routed("32765:\tfrom all iif br0 lookup 100")));
        List<Finding> findings = HostCheck.diagnose(List.of(EDGE_V4), f);
        assertThat(HostCheck.startable(findings)).isFalse();
        assertThat(findings).anyMatch(x -> x.message().equals("listener 'edge' is transparent: transparent listeners need the epoll transport (this one is nio)"));
    }

    @Test
    void withoutARuleTheExactCommandsArePrintedAndItIsAWarningOnly() {
        List<Finding> findings = HostCheck.diagnose(List.of(EDGE_V4), facts(NET_RAW_ONLY, HostFacts.Routing.of(DEFAULT_RULES_V4, MAIN_ROUTES)));
        assertThat(HostCheck.startable(findings)).isTrue();
        assertThat(HostCheck.ready(findings)).isFalse();
        Finding routing = findings.get(1);
        assertThat(routing.severity()).isEqualTo(Finding.Severity.WARNING);
        assertThat(routing.message()).startsWith("IPv4 replies from targets to clients of 'edge' would not reach wavelb");
        assertThat(routing.commands()).containsExactly(
                "ip -4 route add local 0.0.0.0/0 dev lo table 100",
                "ip -4 rule add fwmark 0x1 lookup 100",
                "nft add table inet wavelb",
                "nft add chain inet wavelb prerouting '{ type filter hook prerouting priority mangle; }'",
                "nft add rule inet wavelb prerouting socket transparent 1 meta mark set 0x1");
    }

    @Test
    void aTableWithTheLocalRouteButNoRuleNeedsOnlyTheRule() {
        HostFacts.Routing routing = HostFacts.Routing.of(DEFAULT_RULES_V4, List.of("local default dev lo table 7 scope host"));
        Finding f = HostCheck.diagnose(List.of(EDGE_V4), facts(NET_RAW_ONLY, routing)).get(1);
        assertThat(f.message()).contains("(table 7 has one)");
        assertThat(f.commands().get(0)).isEqualTo("ip -4 rule add fwmark 0x1 lookup 7");
    }

    @Test
    void theCommandsPickATableNothingUses() {
        HostFacts.Routing routing = HostFacts.Routing.of(List.of("0:\tfrom all lookup local", "100:\tfrom 10.9.0.0/16 lookup 100",
                "32766:\tfrom all lookup main"), List.of("default via 10.0.0.2 dev eth1 table 100", "10.1.0.0/16 dev eth2 table 101"));
        Finding f = HostCheck.diagnose(List.of(EDGE_V4), facts(NET_RAW_ONLY, routing)).get(1);
        assertThat(f.commands()).startsWith("ip -4 route add local 0.0.0.0/0 dev lo table 102", "ip -4 rule add fwmark 0x1 lookup 102");
    }

    @Test
    void aRuleOnAFirewallMarkIsAcceptedWithANoteAboutTheMarking() {
        List<Finding> findings = HostCheck.diagnose(List.of(EDGE_V4), facts(NET_RAW_ONLY, routed("32765:\tfrom all fwmark 0x2 lookup 100")));
        assertThat(HostCheck.ready(findings)).isTrue();
        assertThat(findings.get(1).message()).contains("rule 'from all fwmark 0x2 lookup 100' leads to table 100");
        assertThat(findings.get(2).severity()).isEqualTo(Finding.Severity.NOTE);
        assertThat(findings.get(2).commands()).last().isEqualTo("nft add rule inet wavelb prerouting socket transparent 1 meta mark set 0x2");
    }

    @Test
    void eachFamilyTheListenersUseIsCheckedOnItsOwn() {
        HostFacts f = new HostFacts(NET_RAW_ONLY, Optional.empty(), Map.of(
                IpFamily.IPV4, routed("32765:\tfrom all iif br0 lookup 100"),
                IpFamily.IPV6, HostFacts.Routing.of(List.of("0:\tfrom all lookup local", "32766:\tfrom all lookup main"),
                        List.of("fd00::/64 dev br0 proto kernel metric 256 pref medium"))));
        List<Finding> findings = HostCheck.diagnose(List.of(EDGE_V4, new TransparentNeeds("media", Set.of(IpFamily.IPV6))), f);
        assertThat(findings).filteredOn(x -> x.severity() == Finding.Severity.WARNING).singleElement()
                .satisfies(x -> {
                    assertThat(x.message()).startsWith("IPv6 replies from targets to clients of 'media'");
                    assertThat(x.commands()).startsWith("ip -6 route add local ::/0 dev lo table 100", "ip -6 rule add fwmark 0x1 lookup 100");
                });
        assertThat(findings.getFirst().message()).startsWith("listeners 'edge', 'media' are transparent");
    }

    @Test
    void routingThatCouldNotBeReadIsAWarningSayingWhy() {
        HostFacts f = facts(NET_RAW_ONLY, HostFacts.Routing.unknown("cannot run ip: No such file or directory"));
        assertThat(HostCheck.diagnose(List.of(EDGE_V4), f).get(1).format())
                .isEqualTo("warning: IPv4 reply routing for 'edge' not checked: cannot run ip: No such file or directory");
    }

    @Test
    void noTransparentListenerNeedsNothing() {
        assertThat(HostCheck.diagnose(List.of(), facts(0, HostFacts.Routing.unknown("x"))))
                .singleElement().satisfies(x -> assertThat(x.severity()).isEqualTo(Finding.Severity.OK));
    }
}
