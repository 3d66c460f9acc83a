package io.wavelb.core;

import io.netty.channel.EventLoopGroup;
import io.wavelb.config.HexBytes;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.ServerIdRules;
import io.wavelb.config.TargetConfig;
import io.wavelb.core.admin.AdminException;
import io.wavelb.core.admin.AdminOperations;
import io.wavelb.core.admin.LoadReport;
import io.wavelb.core.liveness.Heartbeats;
import io.wavelb.core.overload.OverloadStatus;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The admin operations on the running balancer ({@link AdminOperations}): readiness and liveness
 * from what the parts report, the target view, dynamic targets checked against the config's
 * server-ID rules, drains, and the load sample. {@link LoadBalancer} answers the admin endpoint
 * through it. It reads the balancer through narrow views given at construction; every change it
 * makes takes the balancer's change lock, as reloads do.
 */
final class AdminActions {

    private static final System.Logger LOG = System.getLogger(AdminActions.class.getName());

    /** What this needs of the balancer it serves. */
    record View(Supplier<List<BoundListener>> bound, Supplier<List<ListenerConfig>> listeners, BooleanSupplier listening,
                BooleanSupplier stopping, TargetGroupRegistry groups,
                ReentrantLock changes, Heartbeats heartbeats, Supplier<OverloadStatus> overload,
                List<Supplier<List<String>>> livenessChecks, EventLoopGroup loops) {
    }

    private final View lb;
    private final ReentrantLock samplerLock = new ReentrantLock();
    private volatile boolean drainingBalancer;
    private LoadSampler loadSampler;

    AdminActions(View lb) {
        this.lb = lb;
    }

    AdminOperations.Readiness readiness() {
        List<String> reasons = new ArrayList<>();
        if (lb.stopping().getAsBoolean()) {
            reasons.add("shutting down");
        } else if (!lb.listening().getAsBoolean()) {
            reasons.add("starting: the listeners are not bound yet");
        }
        if (drainingBalancer) {
            reasons.add("draining: the balancer is leaving service");
        }
        Set<String> used = new LinkedHashSet<>();
        for (BoundListener b : lb.bound().get()) {
            used.add(b.config().targetGroup());
        }
        Map<String, TargetGroup> now = lb.groups().groups();
        for (String name : used) {
            TargetGroup g = now.get(name);
            if (g != null && !g.hasHealthyTarget()) {
                reasons.add(g.targets().isEmpty() ? "target group '" + name + "' has no targets"
                        : g.failOpen() ? "target group '" + name + "' has no healthy target (failing open)"
                        : "target group '" + name + "' has no target in rotation");
            }
        }
        return new AdminOperations.Readiness(reasons.isEmpty(), reasons);
    }

    /**
     * Stalled event loops first, then an overload the process cannot leave (shedding connections
     * has not brought memory back within the stuck limit), then whatever the added checks report.
     * Never blocks.
     */
    AdminOperations.Liveness liveness() {
        List<String> reasons = new ArrayList<>(lb.heartbeats().stalled());
        OverloadStatus overload = lb.overload().get();
        if (overload.stuck()) {
            reasons.addAll(overload.reasons());
        }
        for (Supplier<List<String>> check : lb.livenessChecks()) {
            reasons.addAll(check.get());
        }
        return AdminOperations.Liveness.of(reasons);
    }

    List<AdminOperations.GroupStatus> targets() {
        List<AdminOperations.GroupStatus> out = new ArrayList<>();
        for (TargetGroup g : lb.groups().groups().values()) {
            List<AdminOperations.TargetStatus> ts = new ArrayList<>();
            for (Target t : g.targets()) {
                ts.add(new AdminOperations.TargetStatus(t.id(), t.weight(), t.state(),
                        t.source().name().toLowerCase(Locale.ROOT), t.lastCheckAt(), t.lastCheckResult(),
                        t.udpSessions(), t.tcpConnections(), t.serverId() == null ? null : t.serverId().toString()));
            }
            out.add(new AdminOperations.GroupStatus(g.name(), g.algorithm().yamlName(), g.failOpen(), ts));
        }
        return out;
    }

    void replaceTargets(String group, List<AdminOperations.TargetSpec> targets) throws AdminException {
        List<TargetConfig> list = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            AdminOperations.TargetSpec t = targets.get(i);
            try {
                list.add(new TargetConfig(t.address(), t.weight(), t.serverId()));
            } catch (IllegalArgumentException e) {
                throw new AdminException(400, "targets[" + i + "]: " + e.getMessage());
            }
        }
        lb.changes().lock();
        try {
            TargetGroup g = lb.groups().getOrThrow(group);
            checkServerIds(g, list);
            try {
                g.replaceDynamic(list, System.nanoTime());
            } catch (IllegalArgumentException e) {
                throw new AdminException(400, e.getMessage());
            }
        } finally {
            lb.changes().unlock();
        }
    }

    /**
     * Dynamic server IDs follow the config's rules ({@link ServerIdRules}), checked against the
     * config's listeners on the group, together with the group's config targets (listed first, so
     * a clash is reported at the dynamic entry). A dynamic target may lack an ID: it then gets
     * 5-tuple flows only.
     */
    private void checkServerIds(TargetGroup g, List<TargetConfig> dynamic) throws AdminException {
        // The config's listeners, not the bound ones: the same set under the change lock once they
        // are bound, and before that (a target feed that is quicker than the start) the ones to come.
        ServerIdRules.Readers readers = ServerIdRules.Readers.of(lb.listeners().get(), g.name());
        List<TargetConfig> all = new ArrayList<>(g.config().targets());
        int fromConfig = all.size();
        all.addAll(dynamic);
        for (ServerIdRules.Violation v : ServerIdRules.check(all, readers)) {
            if (v.index() < fromConfig) {
                continue;
            }
            TargetConfig t = v.target();
            String at = "targets[" + (v.index() - fromConfig) + "].server_id: ";
            String id = t.serverId().map(HexBytes::toString).orElse("");
            String message = switch (v) {
                case ServerIdRules.Missing m -> null;
                case ServerIdRules.WrongLength w -> at + id + " has " + t.serverId().orElseThrow().length()
                        + " bytes; a quic listener on group '" + g.name() + "' reads " + w.expectedLength();
                case ServerIdRules.Duplicate d -> at + id + " is also " + d.first().address() + "'s";
                case ServerIdRules.Overlap o -> at + id + " of " + t.address() + " and " + o.other().serverId().orElseThrow()
                        + " of " + o.other().address() + " overlap: a stun listener on group '" + g.name()
                        + "' routes ICE ufrags by server_id prefix";
            };
            if (message != null) {
                throw new AdminException(400, message);
            }
        }
    }

    void drain(String group, HostPort address) throws AdminException {
        lb.changes().lock();
        try {
            TargetGroup g = lb.groups().getOrThrow(group);
            if (!g.drain(address.toString(), System.nanoTime())) {
                throw new AdminException(404, "target group '" + group + "' has no target " + address);
            }
        } finally {
            lb.changes().unlock();
        }
    }

    void drainBalancer() {
        if (!drainingBalancer) {
            drainingBalancer = true;
            LOG.log(System.Logger.Level.INFO, "draining: reporting not ready; open and new flows are still served");
        }
    }

    /** {@code GET /v1/load}: every bound listener's flows and cap, rates since the last sample, descriptors, loop busy. */
    LoadReport load() {
        LoadSampler sampler;
        samplerLock.lock();
        try {
            if (loadSampler == null) {
                loadSampler = new LoadSampler(lb.loops());
            }
            sampler = loadSampler;
        } finally {
            samplerLock.unlock();
        }
        List<LoadReport.ListenerLoad> ls = new ArrayList<>();
        long flows = 0;
        long datagrams = 0;
        long bytes = 0;
        for (BoundListener b : lb.bound().get()) {
            ls.add(new LoadReport.ListenerLoad(b.name(), b.protocol(), b.activeFlows(),
                    b.udp() == null ? -1 : b.config().udp().maxSessions()));
            for (ListenerCounter c : LoadSampler.FLOWS) {
                flows += b.stats().total(c);
            }
            for (ListenerCounter c : LoadSampler.DATAGRAMS) {
                datagrams += b.stats().total(c);
            }
            for (ListenerCounter c : LoadSampler.BYTES) {
                bytes += b.stats().total(c);
            }
        }
        return sampler.sample(new LoadSampler.Counters(ls, flows, datagrams, bytes));
    }
}
