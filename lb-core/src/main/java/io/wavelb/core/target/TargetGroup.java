package io.wavelb.core.target;

import io.wavelb.config.Algorithm;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.core.balance.Backend;
import io.wavelb.core.balance.Balancer;
import io.wavelb.core.balance.FlowHash;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The runtime side of a target group: its targets and the balancer over them, held as one
 * immutable snapshot. Building a snapshot (resolving names, filling the Maglev table) happens off
 * the packet path; the packet path only reads the volatile reference.
 */
public final class TargetGroup {

    /** Targets in the balancer's index order, and the balancer. */
    record Snapshot(Target[] targets, Balancer balancer) {
    }

    private final String name;
    private final Algorithm algorithm;
    private final int maglevTableSize;
    private volatile Snapshot snapshot;

    private TargetGroup(String name, Algorithm algorithm, int maglevTableSize, Snapshot snapshot) {
        this.name = name;
        this.algorithm = algorithm;
        this.maglevTableSize = maglevTableSize;
        this.snapshot = snapshot;
    }

    /**
     * Builds a group from its config, resolving every target address.
     *
     * @throws IllegalArgumentException naming the target when a host name does not resolve
     */
    public static TargetGroup create(TargetGroupConfig config) {
        List<Target> targets = new ArrayList<>();
        for (TargetConfig t : config.targets()) {
            InetSocketAddress resolved = new InetSocketAddress(t.address().host(), t.address().port());
            if (resolved.isUnresolved()) {
                throw new IllegalArgumentException("target group '" + config.name() + "': cannot resolve host of target "
                        + t.address());
            }
            targets.add(new Target(t.address(), resolved, t.weight()));
        }
        return new TargetGroup(config.name(), config.algorithm(), config.maglevTableSize(),
                snapshotOf(config.algorithm(), targets, config.maglevTableSize()));
    }

    private static Snapshot snapshotOf(Algorithm algorithm, List<Target> targets, int tableSize) {
        Map<String, Target> byId = new HashMap<>();
        List<Backend> backends = new ArrayList<>();
        for (Target t : targets) {
            byId.put(t.id(), t);
            backends.add(new Backend(t.id(), t.weight()));
        }
        Balancer balancer = Balancer.of(algorithm, backends, tableSize);
        List<Backend> order = balancer.backends();
        Target[] ordered = new Target[order.size()];
        for (int i = 0; i < ordered.length; i++) {
            ordered[i] = byId.get(order.get(i).id());
        }
        return new Snapshot(ordered, balancer);
    }

    public String name() {
        return name;
    }

    public Algorithm algorithm() {
        return algorithm;
    }

    public int maglevTableSize() {
        return maglevTableSize;
    }

    /** Every target, in the balancer's order. */
    public List<Target> targets() {
        return List.of(snapshot.targets());
    }

    /**
     * The flow hash this group balances on: the client IP alone for {@code source_ip}, the 5-tuple
     * otherwise (round robin and least connections use it only to break ties).
     */
    public long flowHash(int protocol, InetAddress srcIp, int srcPort, InetAddress dstIp, int dstPort) {
        return algorithm == Algorithm.SOURCE_IP
                ? FlowHash.sourceIp(srcIp)
                : FlowHash.fiveTuple(protocol, srcIp, srcPort, dstIp, dstPort);
    }

    /**
     * Picks a target for a new flow and counts it as opened, or returns null when none is left.
     *
     * @param excluded targets already tried for this flow (connect retries); may be null when {@code excludedCount} is 0
     */
    public Target open(long flowHash, Target[] excluded, int excludedCount) {
        Snapshot s = snapshot;
        int[] excludedIndexes = Balancer.NO_EXCLUSIONS;
        if (excludedCount > 0) {
            excludedIndexes = new int[excludedCount];
            int n = 0;
            for (int i = 0; i < excludedCount; i++) {
                int index = indexOf(s.targets(), excluded[i]);
                if (index >= 0) {
                    excludedIndexes[n++] = index;
                }
            }
            excludedCount = n;
        }
        int index = s.balancer().pick(flowHash, excludedIndexes, excludedCount);
        if (index < 0) {
            return null;
        }
        Target target = s.targets()[index];
        s.balancer().onOpened(index);
        target.flowOpened();
        return target;
    }

    public Target open(long flowHash) {
        return open(flowHash, null, 0);
    }

    /** Counts a flow opened by {@link #open} as closed. */
    public void close(Target target) {
        target.flowClosed();
        Snapshot s = snapshot;
        int index = indexOf(s.targets(), target);
        if (index >= 0) {
            s.balancer().onClosed(index);
        }
    }

    private static int indexOf(Target[] targets, Target target) {
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] == target) {
                return i;
            }
        }
        return -1;
    }
}
