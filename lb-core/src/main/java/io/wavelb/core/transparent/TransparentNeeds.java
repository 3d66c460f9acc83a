package io.wavelb.core.transparent;

import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.WavelbConfig;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A transparent listener and the families its flows can have: those its listen address takes and
 * its targets have ({@code [::]} and host names count as both; the config check already refused a
 * literal mismatch).
 */
public record TransparentNeeds(String listener, Set<IpFamily> families) {

    public TransparentNeeds {
        Objects.requireNonNull(listener, "listener");
        families = Set.copyOf(families);
    }

    /** The transparent listeners of {@code config}, in config order; empty when there are none. */
    public static List<TransparentNeeds> of(WavelbConfig config) {
        List<TransparentNeeds> needs = new ArrayList<>();
        for (ListenerConfig l : config.listeners()) {
            if (!l.transparent()) {
                continue;
            }
            Set<IpFamily> families = families(l.listen());
            Set<IpFamily> targets = EnumSet.noneOf(IpFamily.class);
            for (TargetGroupConfig g : config.targetGroups()) {
                if (g.name().equals(l.targetGroup())) {
                    for (TargetConfig t : g.targets()) {
                        targets.addAll(families(t.address()));
                    }
                }
            }
            // No static target (dynamic ones come later): any family the listener takes.
            if (!targets.isEmpty()) {
                families.retainAll(targets);
            }
            needs.add(new TransparentNeeds(l.name(), families));
        }
        return needs;
    }

    /** An IPv4 literal, an IPv6 literal (an IPv4-mapped one is IPv4), or both for {@code ::} and host names. */
    static Set<IpFamily> families(HostPort address) {
        String host = address.host();
        if (host.indexOf(':') >= 0) {
            if (host.equals("::")) {
                return EnumSet.allOf(IpFamily.class);
            }
            return host.toLowerCase(java.util.Locale.ROOT).startsWith("::ffff:") && host.indexOf('.') >= 0
                    ? EnumSet.of(IpFamily.IPV4) : EnumSet.of(IpFamily.IPV6);
        }
        return host.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))
                ? EnumSet.of(IpFamily.IPV4) : EnumSet.allOf(IpFamily.class);
    }
}
