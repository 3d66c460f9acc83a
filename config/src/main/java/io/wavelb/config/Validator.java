package io.wavelb.config;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.nodes.Node;

/**
 * Checks across listeners and groups: unique names, resolvable references, protocol/algorithm
 * fit and listen addresses that can all be bound. Each problem points at the later of the nodes
 * involved and names the earlier one, as a compiler reports a redefinition.
 */
final class Validator {

    private final Problems problems;

    Validator(Problems problems) {
        this.problems = problems;
    }

    void check(ConfigDraft draft) {
        Map<String, ConfigDraft.Group> groups = uniqueGroups(draft.groups());
        uniqueListenerNames(draft.listeners());
        for (ConfigDraft.Listener listener : draft.listeners()) {
            checkReference(listener, groups);
        }
        checkListenAddresses(draft);
    }

    private Map<String, ConfigDraft.Group> uniqueGroups(List<ConfigDraft.Group> groups) {
        Map<String, ConfigDraft.Group> byName = new HashMap<>();
        for (ConfigDraft.Group group : groups) {
            if (group.name() == null) {
                continue;
            }
            ConfigDraft.Group first = byName.putIfAbsent(group.name(), group);
            if (first != null) {
                problems.at(group.nameNode(), group.path() + ".name", "duplicate target group name '" + group.name()
                        + "' (first at " + Problems.where(first.nameNode()) + ")");
            }
        }
        return byName;
    }

    private void uniqueListenerNames(List<ConfigDraft.Listener> listeners) {
        Map<String, ConfigDraft.Listener> byName = new HashMap<>();
        for (ConfigDraft.Listener listener : listeners) {
            if (listener.name() == null) {
                continue;
            }
            ConfigDraft.Listener first = byName.putIfAbsent(listener.name(), listener);
            if (first != null) {
                problems.at(listener.nameNode(), listener.path() + ".name", "duplicate listener name '"
                        + listener.name() + "' (first at " + Problems.where(first.nameNode()) + ")");
            }
        }
    }

    private void checkReference(ConfigDraft.Listener listener, Map<String, ConfigDraft.Group> groups) {
        if (listener.targetGroup() == null) {
            return;
        }
        String path = listener.path() + ".target_group";
        ConfigDraft.Group group = groups.get(listener.targetGroup());
        if (group == null) {
            String defined = groups.isEmpty() ? "no target groups are defined"
                    : "defined: " + groups.values().stream()
                            .sorted((a, b) -> Integer.compare(a.nameNode().getStartMark().getIndex(),
                                    b.nameNode().getStartMark().getIndex()))
                            .map(ConfigDraft.Group::name)
                            .collect(Collectors.joining(", "));
            problems.at(listener.targetGroupNode(), path,
                    "target group '" + listener.targetGroup() + "' is not defined (" + defined + ")");
            return;
        }
        // Connection counts only exist for TCP; a UDP flow has no close to count down on.
        if (group.algorithm() == Algorithm.LEAST_CONNECTIONS && listener.protocol() != null
                && listener.protocol().carriesUdp()) {
            problems.at(listener.targetGroupNode(), path, "target group '" + group.name()
                    + "' uses least_connections, which is TCP only (this listener's protocol is "
                    + listener.protocol().yamlName() + ")");
        }
        UdpAffinity affinity = listener.udp().affinity();
        if (listener.protocol() != null && listener.protocol().carriesUdp()
                && (affinity == UdpAffinity.SOURCE_IP || affinity == UdpAffinity.STUN)
                && group.algorithm() != Algorithm.MAGLEV && group.algorithm() != Algorithm.SOURCE_IP) {
            problems.at(listener.targetGroupNode(), path, "affinity " + affinity.yamlName() + " hashes to a target, "
                    + "which needs a hashing algorithm: target group '" + group.name() + "' uses "
                    + group.algorithm().yamlName() + " (use maglev or source_ip)");
        }
        if (listener.transparent()) {
            checkTransparentFamilies(listener, group);
        }
        if (listener.protocol() != null && listener.protocol().carriesUdp()) {
            switch (affinity) {
                case QUIC -> checkServerIds(listener, group,
                        ServerIdRules.Readers.quic(listener.udp().quicLb().orElseThrow().serverIdLength()));
                case STUN -> checkServerIds(listener, group, ServerIdRules.Readers.stun());
                case FIVE_TUPLE, SOURCE_IP -> {
                }
            }
        }
    }

    /**
     * A transparent upstream socket binds the client's own address, which only a socket of the
     * client's family can: an IPv4 client cannot be the source of a datagram to an IPv6 target. So a
     * transparent listener's literal targets must be of one family, and one its listen address can
     * receive ({@code [::]} takes both). Host names are resolved later; a flow whose families differ
     * then is dropped and counted by the data plane.
     */
    private void checkTransparentFamilies(ConfigDraft.Listener listener, ConfigDraft.Group group) {
        String path = listener.path() + ".transparent";
        TargetConfig v4 = null;
        TargetConfig v6 = null;
        for (TargetConfig t : group.targets()) {
            switch (Families.of(t.address().host())) {
                case IPV4 -> v4 = v4 == null ? t : v4;
                case IPV6 -> v6 = v6 == null ? t : v6;
                case BOTH, UNKNOWN -> {
                }
            }
        }
        if (v4 != null && v6 != null) {
            problems.at(listener.transparentNode(), path, "transparent mode binds the client's address, which a socket of "
                    + "the other family cannot: target group '" + group.name() + "' mixes IPv4 (" + v4.address()
                    + ") and IPv6 (" + v6.address() + ") targets; give each family its own group and listener");
            return;
        }
        TargetConfig one = v4 != null ? v4 : v6;
        if (one == null || listener.listen() == null) {
            return;
        }
        Families clients = Families.of(listener.listen().host());
        Families targets = v4 != null ? Families.IPV4 : Families.IPV6;
        if ((clients == Families.IPV4 || clients == Families.IPV6) && clients != targets) {
            problems.at(listener.transparentNode(), path, "transparent mode binds the client's address, which a socket of "
                    + "the other family cannot: listen address " + listener.listen() + " takes " + clients.label
                    + " clients, but target " + one.address() + " of group '" + group.name() + "' is " + targets.label);
        }
    }

    /** Which address families a host as written stands for. */
    private enum Families {
        IPV4("IPv4"), IPV6("IPv6"), BOTH("IPv4 and IPv6"), UNKNOWN("unknown");

        final String label;

        Families(String label) {
            this.label = label;
        }

        /** {@code ::} takes both families on Linux (unless net.ipv6.bindv6only); a host name is not resolved here. */
        static Families of(String host) {
            if (host.indexOf(':') >= 0) {
                if (host.equals("::")) {
                    return BOTH;
                }
                return host.toLowerCase(Locale.ROOT).startsWith("::ffff:") && host.indexOf('.') >= 0 ? IPV4 : IPV6;
            }
            return host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9')) ? IPV4 : UNKNOWN;
        }
    }

    /** The group's server IDs as this listener reads them ({@link ServerIdRules}, shared with the admin API). */
    private void checkServerIds(ConfigDraft.Listener listener, ConfigDraft.Group group, ServerIdRules.Readers readers) {
        String at = group.path() + ".targets.server_id";
        for (ServerIdRules.Violation v : ServerIdRules.check(group.targets(), readers)) {
            TargetConfig t = v.target();
            Node node = group.serverIdNodes().get(t.address().toString().toLowerCase(Locale.ROOT));
            switch (v) {
                case ServerIdRules.Missing m -> problems.at(listener.targetGroupNode(), listener.path() + ".target_group",
                        "listener '" + listener.name() + "' routes by QUIC connection ID, but target " + t.address()
                        + " of group '" + group.name() + "' has no server_id (" + m.expectedLength() + " bytes, e.g. \"0x"
                        + "00".repeat(m.expectedLength() - 1) + "01\")");
                case ServerIdRules.WrongLength w -> problems.at(node, at, "server_id " + t.serverId().orElseThrow()
                        + " has " + t.serverId().orElseThrow().length() + " bytes; listener '" + listener.name()
                        + "' has quic_lb.server_id_length " + w.expectedLength());
                // Under stun alone an equal ID is the extreme overlap: said in the ufrag terms that listener has.
                case ServerIdRules.Duplicate d -> problems.at(node, at, readers.quicLengths().isEmpty()
                        ? overlap(listener, t, d.first())
                        : "server_id " + t.serverId().orElseThrow() + " of " + t.address() + " is also "
                        + d.first().address() + "'s: a connection ID must name one target");
                case ServerIdRules.Overlap o -> problems.at(node, at, overlap(listener, t, o.other()));
            }
        }
    }

    private static String overlap(ConfigDraft.Listener listener, TargetConfig t, TargetConfig other) {
        return "server_id " + t.serverId().orElseThrow() + " of " + t.address() + " and " + other.serverId().orElseThrow()
                + " of " + other.address() + " overlap: listener '" + listener.name()
                + "' routes ICE ufrags by server_id prefix";
    }

    private void checkListenAddresses(ConfigDraft draft) {
        List<ConfigDraft.Listener> listeners = draft.listeners();
        for (int j = 0; j < listeners.size(); j++) {
            ConfigDraft.Listener later = listeners.get(j);
            if (later.listen() == null || later.protocol() == null) {
                continue;
            }
            boolean reported = false;
            for (int i = 0; i < j && !reported; i++) {
                ConfigDraft.Listener earlier = listeners.get(i);
                if (earlier.listen() == null || earlier.protocol() == null) {
                    continue;
                }
                if (protocolsOverlap(earlier.protocol(), later.protocol())
                        && addressesOverlap(earlier.listen(), later.listen())) {
                    problems.at(later.listenNode(), later.path() + ".listen", "listen address " + later.listen() + " ("
                            + later.protocol().yamlName() + ") overlaps listener "
                            + (earlier.name() == null ? earlier.path() : "'" + earlier.name() + "'") + " ("
                            + earlier.listen() + ", " + earlier.protocol().yamlName() + ", at "
                            + Problems.where(earlier.listenNode()) + ")");
                    reported = true;
                }
            }
            // The admin endpoint is HTTP, so TCP.
            if (!reported && later.protocol().carriesTcp() && addressesOverlap(draft.admin().listen(), later.listen())) {
                problems.at(later.listenNode(), later.path() + ".listen", "listen address " + later.listen()
                        + " (" + later.protocol().yamlName() + ") overlaps the admin endpoint ("
                        + draft.admin().listen() + ")");
            }
        }
    }

    static boolean protocolsOverlap(Protocol a, Protocol b) {
        return a.carriesUdp() && b.carriesUdp() || a.carriesTcp() && b.carriesTcp();
    }

    /**
     * Whether binding both would fail with EADDRINUSE (without SO_REUSEPORT tricks): same port and
     * the same host, or a wildcard covering the other. On Linux {@code [::]} also takes IPv4 unless
     * {@code net.ipv6.bindv6only} is set, so it overlaps everything on its port. Host names are
     * compared as written; resolution is the data plane's business.
     */
    static boolean addressesOverlap(HostPort a, HostPort b) {
        if (a.port() != b.port()) {
            return false;
        }
        String hostA = a.host().toLowerCase(Locale.ROOT);
        String hostB = b.host().toLowerCase(Locale.ROOT);
        if (hostA.equals(hostB) || isIpv6Wildcard(hostA) || isIpv6Wildcard(hostB)) {
            return true;
        }
        return hostA.equals("0.0.0.0") && !b.isIpv6Literal() || hostB.equals("0.0.0.0") && !a.isIpv6Literal();
    }

    private static boolean isIpv6Wildcard(String host) {
        return host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
    }
}
