package io.wavelb.core.transparent;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Whether this host can serve transparent listeners, from {@link HostFacts}: the capability
 * IP_TRANSPARENT needs, a transport that can set it, and reply routing per family. The same
 * diagnosis is printed by {@code wavelb check-host} and checked at start, where an
 * {@link Finding.Severity#ERROR} stops it.
 *
 * <p>Replies from a target go to the client's address, which is not the balancer's: the kernel
 * forwards or drops them unless a policy rule sends them to a table whose {@code local} default
 * route delivers them to this host, where the socket bound to that address takes them (the
 * kernel's transparent proxy recipe, Documentation/networking/tproxy.rst). Any rule leading to
 * such a table counts; which packets it selects (a firewall mark, an incoming interface) wavelb
 * cannot judge, and the targets' own routes are on other hosts, so a missing rule is a
 * {@link Finding.Severity#WARNING}, not an error.
 */
public final class HostCheck {

    /** The table the printed commands use when it is free. */
    static final int FIRST_TABLE = 100;
    static final String MARK = "0x1";

    /** {@code ... lookup 100} in {@code ip rule show} (older iproute2 prints {@code table}). */
    private static final Pattern RULE_TABLE = Pattern.compile("\\b(?:lookup|table)\\s+(\\S+)");
    /** {@code local default dev lo table 100 scope host} in {@code ip route show table all}. */
    private static final Pattern LOCAL_DEFAULT = Pattern.compile(
            "^local\\s+(?:default|0\\.0\\.0\\.0/0|::/0)\\s.*\\btable\\s+(\\S+)");
    private static final Pattern ANY_TABLE = Pattern.compile("\\btable\\s+(\\S+)");
    private static final Set<String> BUILT_IN = Set.of("local", "main", "default", "253", "254", "255");

    private HostCheck() {
    }

    /** The findings for {@code needs} on a host with {@code facts}; one OK line when no listener is transparent. */
    public static List<Finding> diagnose(List<TransparentNeeds> needs, HostFacts facts) {
        List<Finding> findings = new ArrayList<>();
        if (needs.isEmpty()) {
            findings.add(new Finding(Finding.Severity.OK, "no listener is transparent: nothing to check", List.of()));
            return findings;
        }
        String names = needs.stream().map(n -> "'" + n.listener() + "'").collect(Collectors.joining(", "));
        String subject = (needs.size() == 1 ? "listener " : "listeners ") + names + (needs.size() == 1 ? " is" : " are")
                + " transparent";
        if (facts.mayBindTransparent()) {
            findings.add(new Finding(Finding.Severity.OK, subject + ": the process has CAP_NET_RAW or CAP_NET_ADMIN,"
                    + " which IP_TRANSPARENT needs", List.of()));
        } else {
            findings.add(new Finding(Finding.Severity.ERROR, subject + ": the process has neither CAP_NET_RAW nor"
                    + " CAP_NET_ADMIN, and IP_TRANSPARENT needs one of them (CAP_NET_RAW is enough): give it"
                    + " AmbientCapabilities=CAP_NET_RAW (systemd unit) or --cap-add NET_RAW (docker)", List.of()));
        }
        facts.transportProblem().ifPresent(p -> findings.add(new Finding(Finding.Severity.ERROR, subject + ": " + p,
                List.of())));
        Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);
        needs.forEach(n -> families.addAll(n.families()));
        boolean marked = false;
        for (IpFamily family : families) {
            String who = needs.stream().filter(n -> n.families().contains(family)).map(n -> "'" + n.listener() + "'")
                    .collect(Collectors.joining(", "));
            HostFacts.Routing routing = facts.routing().get(family);
            if (routing == null || routing.error().isPresent()) {
                findings.add(new Finding(Finding.Severity.WARNING, family.label + " reply routing for " + who
                        + " not checked: " + (routing == null ? "not gathered" : routing.error().orElseThrow()), List.of()));
                continue;
            }
            Set<String> localTables = localDefaultTables(routing.routes());
            Optional<String> rule = routing.rules().stream()
                    .filter(r -> tableOf(r).filter(localTables::contains).isPresent())
                    .findFirst();
            if (rule.isPresent()) {
                String text = rule.get().replaceFirst("^\\d+:\\s*", "").strip();
                findings.add(new Finding(Finding.Severity.OK, family.label + " replies to clients of " + who
                        + " are delivered locally: rule '" + text + "' leads to table " + tableOf(text).orElseThrow()
                        + ", which has a local default route", List.of()));
                if (text.contains("fwmark") && !marked) {
                    marked = true;
                    findings.add(new Finding(Finding.Severity.NOTE, "the rule selects marked packets: the firewall must"
                            + " mark packets for transparent sockets (wavelb cannot see the ruleset), e.g.",
                            markCommands(text)));
                }
                continue;
            }
            String table = localTables.isEmpty() ? freeTable(routing) : localTables.stream().sorted().findFirst().orElseThrow();
            List<String> commands = new ArrayList<>();
            if (localTables.isEmpty()) {
                commands.add("ip " + family.ipFlag + " route add local " + family.everything + " dev lo table " + table);
            }
            commands.add("ip " + family.ipFlag + " rule add fwmark " + MARK + " lookup " + table);
            if (!marked) {
                marked = true;
                commands.addAll(markCommands("fwmark " + MARK));
            }
            findings.add(new Finding(Finding.Severity.WARNING, family.label + " replies from targets to clients of " + who
                    + " would not reach wavelb: no policy rule leads to a table with a local default route"
                    + (localTables.isEmpty() ? "" : " (table " + table + " has one)")
                    + ". Add (or instead of the mark, 'ip " + family.ipFlag + " rule add iif <target-facing interface> lookup "
                    + table + "' when nothing else arrives on that interface for other hosts); the targets must route"
                    + " client addresses via this host", commands));
        }
        return findings;
    }

    /** Whether a start may go on: no {@link Finding.Severity#ERROR}. */
    public static boolean startable(List<Finding> findings) {
        return findings.stream().noneMatch(f -> f.severity() == Finding.Severity.ERROR);
    }

    /** Whether every finding is OK or a note: {@code wavelb check-host}'s exit 0. */
    public static boolean ready(List<Finding> findings) {
        return findings.stream().allMatch(f -> f.severity() == Finding.Severity.OK || f.severity() == Finding.Severity.NOTE);
    }

    /** nftables marking of packets for transparent sockets, both families in one table. */
    private static List<String> markCommands(String ruleText) {
        Matcher m = Pattern.compile("fwmark\\s+(0x[0-9a-fA-F]+|\\d+)").matcher(ruleText);
        String mark = m.find() ? m.group(1) : MARK;
        return List.of("nft add table inet wavelb",
                "nft add chain inet wavelb prerouting '{ type filter hook prerouting priority mangle; }'",
                "nft add rule inet wavelb prerouting socket transparent 1 meta mark set " + mark);
    }

    static Optional<String> tableOf(String rule) {
        Matcher m = RULE_TABLE.matcher(rule);
        if (!m.find() || BUILT_IN.contains(m.group(1))) {
            return Optional.empty();
        }
        return Optional.of(m.group(1));
    }

    static Set<String> localDefaultTables(List<String> routes) {
        Set<String> tables = new HashSet<>();
        for (String r : routes) {
            Matcher m = LOCAL_DEFAULT.matcher(r.strip());
            if (m.find() && !BUILT_IN.contains(m.group(1))) {
                tables.add(m.group(1));
            }
        }
        return tables;
    }

    /** The first table from {@link #FIRST_TABLE} that no rule and no route names. */
    private static String freeTable(HostFacts.Routing routing) {
        Set<String> used = new HashSet<>();
        routing.rules().forEach(r -> tableOf(r).ifPresent(used::add));
        for (String r : routing.routes()) {
            Matcher m = ANY_TABLE.matcher(r);
            if (m.find()) {
                used.add(m.group(1).toLowerCase(Locale.ROOT));
            }
        }
        int t = FIRST_TABLE;
        while (used.contains(Integer.toString(t))) {
            t++;
        }
        return Integer.toString(t);
    }
}
