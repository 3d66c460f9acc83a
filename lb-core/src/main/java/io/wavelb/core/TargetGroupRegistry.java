package io.wavelb.core;

import io.wavelb.core.admin.AdminException;
import io.wavelb.core.target.TargetGroup;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The running target groups by name, and the groups a reload removed, kept until their targets
 * have drained. Both are immutable maps published whole: readers (the admin API, the control tick)
 * take no lock; the writers ({@link #add}, {@link #retire}, {@link #forget}) run under the
 * balancer's change lock, so there is one writer at a time.
 */
final class TargetGroupRegistry {

    private final TargetGroup.FlowPurger purger;
    private volatile Map<String, TargetGroup> groups = Map.of();
    private volatile Map<String, TargetGroup> retiring = Map.of();

    /** @param purger ends a target's UDP sessions on every listener when its deregistration delay runs out */
    TargetGroupRegistry(TargetGroup.FlowPurger purger) {
        this.purger = purger;
    }

    /** The running groups, in the order they were added. */
    Map<String, TargetGroup> groups() {
        return groups;
    }

    TargetGroup get(String name) {
        return groups.get(name);
    }

    /** @throws AdminException 404 naming the groups that exist */
    TargetGroup getOrThrow(String name) throws AdminException {
        Map<String, TargetGroup> now = groups;
        TargetGroup g = now.get(name);
        if (g == null) {
            throw new AdminException(404, "no target group '" + name + "' (defined: " + String.join(", ", now.keySet()) + ")");
        }
        return g;
    }

    /** Adds a running group. The caller holds the change lock. */
    void add(TargetGroup group) {
        group.addFlowPurger(purger);
        Map<String, TargetGroup> next = new LinkedHashMap<>(groups);
        next.put(group.name(), group);
        groups = Collections.unmodifiableMap(next);
    }

    /** Takes a group out of service: every target starts draining; it stays ticked until empty. The caller holds the change lock. */
    void retire(String name, long nowNanos) {
        Map<String, TargetGroup> next = new LinkedHashMap<>(groups);
        TargetGroup g = next.remove(name);
        groups = Collections.unmodifiableMap(next);
        g.replaceDynamic(List.of(), nowNanos);
        g.applyConfig(g.config().withTargets(List.of()), nowNanos);
        Map<String, TargetGroup> r = new LinkedHashMap<>(retiring);
        r.put(name, g);
        retiring = Collections.unmodifiableMap(r);
    }

    /** Runs every group's control work (running and retiring ones); control thread only. */
    void tick(long nowNanos) {
        List<TargetGroup> all = new ArrayList<>(groups.values());
        all.addAll(retiring.values());
        for (TargetGroup g : all) {
            g.tick(nowNanos);
        }
    }

    /** Retired groups whose last target has gone. */
    List<TargetGroup> drained() {
        List<TargetGroup> out = new ArrayList<>();
        for (TargetGroup g : retiring.values()) {
            if (g.targets().isEmpty()) {
                out.add(g);
            }
        }
        return out;
    }

    /** Drops a drained retired group. The caller holds the change lock. */
    void forget(TargetGroup group) {
        Map<String, TargetGroup> r = new LinkedHashMap<>(retiring);
        r.remove(group.name(), group);
        retiring = Collections.unmodifiableMap(r);
    }
}
