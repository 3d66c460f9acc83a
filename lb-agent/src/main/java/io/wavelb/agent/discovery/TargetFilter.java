package io.wavelb.agent.discovery;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Which discovered instances become the balancer's targets: those with a valid
 * {@code AWS_INSTANCE_IPV4} and {@code AWS_INSTANCE_PORT}, in this agent's own zone unless
 * {@code cross_zone} is on (the Wavelength blog's rule: proxy only within the zone, where the
 * latency is). Instances that cannot be used are listed with the reason, for logs and metrics.
 */
public final class TargetFilter {

    private static final Pattern IPV4 =
            Pattern.compile("(25[0-5]|2[0-4]\\d|1?\\d?\\d)(\\.(25[0-5]|2[0-4]\\d|1?\\d?\\d)){3}");

    private TargetFilter() {
    }

    /** A target for the balancer's PUT body; {@code serverId} (hex) or null. */
    public record Target(String address, int weight, String serverId) {
        public Target(String address, int weight) {
            this(address, weight, null);
        }
    }

    /** A server ID as the balancer takes it (config and admin API alike): 1..15 bytes of hex, {@code 0x} allowed. */
    private static boolean validServerId(String text) {
        try {
            return io.wavelb.config.HexBytes.parse(text).length() <= io.wavelb.config.QuicLbConfig.MAX_SERVER_ID_LENGTH;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    public record Result(List<Target> targets, List<String> skipped) {
        public Result {
            targets = List.copyOf(targets);
            skipped = List.copyOf(skipped);
        }
    }

    public static Result targets(List<DiscoveredInstance> instances, String ownZone, boolean crossZone) {
        List<Target> targets = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        for (DiscoveredInstance i : instances) {
            String ip = i.attributes().get(DiscoveredInstance.IPV4);
            String port = i.attributes().get(DiscoveredInstance.PORT);
            String zone = i.attributes().get(DiscoveredInstance.ZONE);
            if (ip == null || !IPV4.matcher(ip).matches()) {
                skipped.add(i.id() + ": no valid " + DiscoveredInstance.IPV4);
                continue;
            }
            int p;
            try {
                p = Integer.parseInt(port == null ? "" : port);
            } catch (NumberFormatException e) {
                p = -1;
            }
            if (p < 1 || p > 65535) {
                skipped.add(i.id() + ": no valid " + DiscoveredInstance.PORT);
                continue;
            }
            if (!crossZone && !ownZone.equals(zone)) {
                skipped.add(i.id() + ": in zone " + zone + ", not " + ownZone + " (cross_zone is off)");
                continue;
            }
            String serverId = i.attributes().get(DiscoveredInstance.SERVER_ID);
            if (serverId != null && !validServerId(serverId)) {
                skipped.add(i.id() + ": " + DiscoveredInstance.SERVER_ID + " '" + serverId
                        + "' is not 1..15 bytes in hex");
                continue;
            }
            targets.add(new Target(ip + ":" + p, 100, serverId));
        }
        // A stable order: the balancer's table does not care, but logs and diffs do.
        targets.sort(Comparator.comparing(Target::address));
        return new Result(targets, skipped);
    }
}
