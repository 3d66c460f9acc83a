package io.wavelb.core.transparent;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What the host says, as gathered: the process's effective capabilities, whether the transport can
 * make transparent sockets, and per family the policy rules and every route table.
 *
 * @param capEff            the {@code CapEff} mask of {@code /proc/self/status}
 * @param transportProblem  why the transport cannot make transparent sockets; empty when it can
 * @param routing           per family, what {@code ip rule show} and {@code ip route show table all} print
 */
public record HostFacts(long capEff, Optional<String> transportProblem, Map<IpFamily, Routing> routing) {

    /** capability(7) bit numbers. */
    static final int CAP_NET_ADMIN = 12;
    static final int CAP_NET_RAW = 13;

    public HostFacts {
        Objects.requireNonNull(transportProblem, "transportProblem");
        routing = Map.copyOf(routing);
    }

    /**
     * One family's routing: {@code ip -4 rule show} lines ({@code "32765:\tfrom all fwmark 0x1 lookup 100"})
     * and {@code ip -4 route show table all} lines ({@code "local default dev lo table 100 scope host"}).
     * Empty lists when {@code ip} could not be run; {@code error} says why.
     */
    public record Routing(List<String> rules, List<String> routes, Optional<String> error) {
        public Routing {
            rules = List.copyOf(rules);
            routes = List.copyOf(routes);
            Objects.requireNonNull(error, "error");
        }

        public static Routing of(List<String> rules, List<String> routes) {
            return new Routing(rules, routes, Optional.empty());
        }

        public static Routing unknown(String why) {
            return new Routing(List.of(), List.of(), Optional.of(why));
        }
    }

    /**
     * Whether the process may set IP_TRANSPARENT / IPV6_TRANSPARENT: either capability will do
     * (net/ipv4/ip_sockglue.c and net/ipv6/ipv6_sockglue.c check CAP_NET_RAW or CAP_NET_ADMIN in the
     * socket's network namespace; verified on Linux 6.18 with a process holding CAP_NET_RAW alone).
     */
    public boolean mayBindTransparent() {
        return (capEff & (1L << CAP_NET_ADMIN | 1L << CAP_NET_RAW)) != 0;
    }

    /** Parses a {@code CapEff:} value ({@code 000001ffffffffff}). */
    public static long parseCapEff(String hex) {
        return Long.parseUnsignedLong(hex.strip(), 16);
    }
}
