package io.wavelb.core.health;

import io.wavelb.config.HealthCheckConfig;
import io.wavelb.config.OutlierDetectionConfig;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.health.state.HealthStateMachine;
import io.wavelb.core.health.state.HealthStatus;
import io.wavelb.core.health.state.OutlierDetector;
import io.wavelb.core.health.state.ProbeResult;
import io.wavelb.core.listener.RateLimitedLog;
import io.wavelb.core.metrics.WavelbMetrics;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Connects health checking to the target groups: an active checker per group that has a
 * {@code health_check}, an outlier detector per group fed by the data plane, results counted in
 * metrics and shown by the admin API. Reloads that change a group's check restart its checker.
 */
public final class HealthHooks implements LoadBalancer.LifecycleHooks {

    private static final System.Logger LOG = System.getLogger(HealthHooks.class.getName());

    private final WavelbMetrics metrics;
    private final Map<String, GroupHealth> byGroup = new ConcurrentHashMap<>();

    public HealthHooks(WavelbMetrics metrics) {
        this.metrics = metrics;
    }

    /** The health machinery of one group. */
    private final class GroupHealth implements TargetGroup.MembershipListener, TargetGroup.PassiveHealth,
            HealthChecker.Observer {
        final TargetGroup group;
        final LoadBalancer lb;
        volatile HealthChecker checker;
        volatile OutlierDetector outliers;
        volatile OutlierDetectionConfig outlierConfig;
        /**
         * Past the ejection cap every further failed flow would say the same: once per 10 s, with a
         * count (a target that refuses a flood of flows must not flood the log too).
         */
        final RateLimitedLog capReached =
                new RateLimitedLog(LOG, TimeUnit.SECONDS.toNanos(10));

        GroupHealth(LoadBalancer lb, TargetGroup group) {
            this.lb = lb;
            this.group = group;
        }

        void configure() {
            Optional<HealthCheckConfig> wanted = group.config().healthCheck();
            HealthChecker current = checker;
            if (!Objects.equals(wanted.orElse(null), current == null ? null : current.config())) {
                if (current != null) {
                    current.close();
                }
                checker = wanted.map(c -> new HealthChecker(c, lb.transport(), lb.loops(), this)).orElse(null);
                if (checker == null) {
                    // No active check any more: what it last said no longer holds.
                    for (Target t : group.targets()) {
                        group.health(t, HealthStatus.UNKNOWN);
                    }
                }
            }
            OutlierDetectionConfig oc = group.config().outlierDetection();
            if (!oc.equals(outlierConfig)) {
                outlierConfig = oc;
                outliers = new OutlierDetector(oc.consecutiveFailures(), oc.ejectionTime().toNanos(), oc.maxEjectionPercent());
            }
            membersChanged();
        }

        void membersChanged() {
            List<Target> members = group.targets();
            HealthChecker c = checker;
            if (c != null) {
                c.setTargets(members.stream()
                        .map(t -> new HealthChecker.HealthTarget(t.id(), t.socketAddress(), t.health())).toList());
            }
            outliers.setTargets(members.stream().map(Target::id).toList());
        }

        @Override
        public void added(TargetGroup g, Target target) {
            membersChanged();
        }

        @Override
        public void removed(TargetGroup g, Target target) {
            membersChanged();
        }

        @Override
        public void onResult(String targetId, ProbeResult result) {
            Target t = group.member(targetId);
            if (t != null) {
                t.lastCheck(Instant.now(), result.tag());
            }
            WavelbMetrics.TargetMeters m = metrics.target(group.name(), targetId);
            if (m != null) {
                m.healthCheck(result.tag());
            }
        }

        @Override
        public void onTransition(String targetId, HealthStateMachine.Transition transition) {
            Target t = group.member(targetId);
            if (t == null) {
                return;
            }
            HealthStatus health = transition.to();
            System.Logger.Level level = health == HealthStatus.UNHEALTHY ? System.Logger.Level.WARNING : System.Logger.Level.INFO;
            LOG.log(level, "target group '" + group.name() + "': target " + targetId + " is " + transition.to()
                    .name().toLowerCase(Locale.ROOT) + " (" + transition.reason() + ")");
            group.health(t, health);
        }

        @Override
        public void failure(Target target) {
            OutlierDetector d = outliers;
            long now = System.nanoTime();
            d.onFailure(target.id(), now).ifPresent(decision -> {
                switch (decision) {
                    case OutlierDetector.Ejected e -> {
                        LOG.log(System.Logger.Level.WARNING, "target group '" + group.name() + "': ejecting " + e.target()
                                + " for " + outlierConfig.ejectionTime().toSeconds() + "s after "
                                + outlierConfig.consecutiveFailures() + " consecutive failed flows");
                        group.eject(target, e.untilNanos());
                    }
                    case OutlierDetector.CapReached c -> capReached.warn("target group '"
                            + group.name() + "': " + c.target() + " keeps failing but " + c.ejected() + " of " + c.targets()
                            + " targets are ejected already (max_ejection_percent)");
                }
            });
        }

        @Override
        public void success(Target target) {
            outliers.onSuccess(target.id());
        }

        void close() {
            HealthChecker c = checker;
            if (c != null) {
                c.close();
            }
        }
    }

    @Override
    public void groupAdded(LoadBalancer lb, TargetGroup group) {
        GroupHealth h = new GroupHealth(lb, group);
        byGroup.put(group.name(), h);
        h.configure();
        group.passiveHealth(h);
        group.addMembershipListener(h);
    }

    @Override
    public void groupRemoved(LoadBalancer lb, TargetGroup group) {
        GroupHealth h = byGroup.remove(group.name());
        if (h != null) {
            h.close();
        }
    }

    @Override
    public void reloaded(LoadBalancer lb, WavelbConfig config, boolean ok) {
        if (ok) {
            byGroup.values().forEach(GroupHealth::configure);
        }
    }

    @Override
    public void stopping(LoadBalancer lb) {
        byGroup.values().forEach(GroupHealth::close);
    }
}
