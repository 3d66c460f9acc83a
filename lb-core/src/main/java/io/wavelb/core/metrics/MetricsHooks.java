package io.wavelb.core.metrics;

import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import java.util.function.IntSupplier;

/** Keeps the meters in step with the balancer: listeners, groups and targets as they come and go. */
public final class MetricsHooks implements LoadBalancer.LifecycleHooks, TargetGroup.MembershipListener {

    private final WavelbMetrics metrics;

    public MetricsHooks(WavelbMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void groupAdded(LoadBalancer lb, TargetGroup group) {
        metrics.addGroup(group.name(), group::failOpen);
        for (Target t : group.targets()) {
            added(group, t);
        }
        group.addMembershipListener(this);
    }

    @Override
    public void groupRemoved(LoadBalancer lb, TargetGroup group) {
        metrics.removeGroup(group.name());
    }

    @Override
    public void added(TargetGroup group, Target target) {
        metrics.addTarget(group.name(), target.id(), () -> target.inRotation() ? 1 : 0, target::activeFlows);
    }

    @Override
    public void removed(TargetGroup group, Target target) {
        WavelbMetrics.TargetMeters m = metrics.target(group.name(), target.id());
        if (m != null) {
            m.remove();
        }
    }

    @Override
    public void listenerAdded(LoadBalancer lb, String name, ListenerStats stats, String protocol, IntSupplier udpSessions) {
        metrics.addListener(stats, protocol, udpSessions);
    }

    @Override
    public void listenerRemoved(LoadBalancer lb, String name) {
        metrics.removeListener(name);
    }

    @Override
    public void reloaded(LoadBalancer lb, WavelbConfig config, boolean ok) {
        metrics.reloadResult(ok);
    }
}
