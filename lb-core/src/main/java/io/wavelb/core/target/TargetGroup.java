package io.wavelb.core.target;

import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.core.balance.Backend;
import io.wavelb.core.balance.FlowHash;
import io.wavelb.core.balance.Picker;
import io.wavelb.core.health.state.HealthStatus;
import io.wavelb.core.quic.ServerIds;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The runtime side of a target group: its members and the picker over those in rotation, held
 * as one immutable snapshot that the packet path reads with a single volatile load. Every change
 * (health, ejection, drain, membership, reload) builds a new snapshot under a control-plane lock
 * and publishes it whole; the packet path never takes the lock.
 *
 * <p>In rotation = not draining, and not unhealthy by the active check or ejected by outlier
 * detection. When no member is in rotation the group fails open like NLB: every non-draining
 * member is routed to, and {@link #failOpen()} says so.
 */
public final class TargetGroup {

    private static final System.Logger LOG = System.getLogger(TargetGroup.class.getName());

    /** Members in the picker's index order, the picker over them, and all members. */
    record Snapshot(Target[] rotation, Picker picker, boolean failOpen, List<Target> members,
                    ServerIds<Target> serverIds) {
    }

    /** Learns when members join or leave (metrics, health checks). */
    public interface MembershipListener {
        void added(TargetGroup group, Target target);

        void removed(TargetGroup group, Target target);

        /** Rotation changed: a health change, an ejection, a drain, a fail-open switch. */
        default void rotationChanged(TargetGroup group) {
        }
    }

    /** Ends a target's UDP sessions on every event loop (the loops register themselves). */
    public interface FlowPurger {
        void purge(Target target);
    }

    /** Passive health: what the data plane saw of a target's flows (connect failures, ICMP unreachable). */
    public interface PassiveHealth {
        PassiveHealth NONE = new PassiveHealth() {
            @Override
            public void failure(Target target) {
            }

            @Override
            public void success(Target target) {
            }
        };

        void failure(Target target);

        void success(Target target);
    }

    private final String name;
    private final ReentrantLock lock = new ReentrantLock();
    private final Map<String, Target> members = new LinkedHashMap<>();
    private final List<MembershipListener> listeners = new CopyOnWriteArrayList<>();
    private final List<FlowPurger> purgers = new CopyOnWriteArrayList<>();
    private volatile TargetGroupConfig config;
    private volatile Snapshot snapshot;
    private volatile PassiveHealth passiveHealth = PassiveHealth.NONE;
    private List<TargetConfig> configTargets = List.of();
    private volatile List<TargetConfig> dynamicTargets = List.of();

    private TargetGroup(TargetGroupConfig config) {
        this.name = config.name();
        this.config = config;
        this.snapshot = new Snapshot(new Target[0], Picker.of(config.algorithm(), List.of(), config.maglevTableSize()),
                false, List.of(), new ServerIds<>(List.of(), List.of()));
    }

    /**
     * Builds a group from its config, resolving every target address.
     *
     * @throws IllegalArgumentException naming the target when a host name does not resolve
     */
    public static TargetGroup create(TargetGroupConfig config) {
        TargetGroup group = new TargetGroup(config);
        group.applyConfig(config, System.nanoTime());
        return group;
    }

    static InetSocketAddress resolve(String group, HostPort address) {
        InetSocketAddress resolved = new InetSocketAddress(address.host(), address.port());
        if (resolved.isUnresolved()) {
            throw new IllegalArgumentException("target group '" + group + "': cannot resolve host of target " + address);
        }
        return resolved;
    }

    public String name() {
        return name;
    }

    public TargetGroupConfig config() {
        return config;
    }

    public Algorithm algorithm() {
        return config.algorithm();
    }

    public void addMembershipListener(MembershipListener listener) {
        listeners.add(listener);
    }

    public void passiveHealth(PassiveHealth passiveHealth) {
        this.passiveHealth = passiveHealth;
    }

    /** A flow to the target failed in a way that says the target is at fault. */
    public void flowFailed(Target target) {
        passiveHealth.failure(target);
    }

    /** A flow to the target got through (a TCP connect succeeded). */
    public void flowSucceeded(Target target) {
        passiveHealth.success(target);
    }

    public void addFlowPurger(FlowPurger purger) {
        purgers.add(purger);
    }

    public void removeFlowPurger(FlowPurger purger) {
        purgers.remove(purger);
    }

    /** Every member, draining ones included, in the order they joined. */
    public List<Target> targets() {
        return snapshot.members();
    }

    /** Members that may receive new flows now. */
    public List<Target> inRotation() {
        return List.of(snapshot.rotation());
    }

    /** True while no member is healthy and the group routes to all of them anyway. */
    public boolean failOpen() {
        return snapshot.failOpen();
    }

    /** True when at least one member is in rotation by its own merit (not by failing open). */
    public boolean hasHealthyTarget() {
        Snapshot s = snapshot;
        return !s.failOpen() && s.rotation().length > 0;
    }

    public Target member(String id) {
        for (Target t : snapshot.members()) {
            if (t.id().equals(id)) {
                return t;
            }
        }
        return null;
    }

    /**
     * The flow hash this group balances on: the client IP alone for {@code source_ip}, the 5-tuple
     * otherwise (round robin and least connections use it only to break ties).
     */
    public long flowHash(int protocol, InetAddress srcIp, int srcPort, InetAddress dstIp, int dstPort) {
        return config.algorithm() == Algorithm.SOURCE_IP
                ? FlowHash.sourceIp(srcIp)
                : FlowHash.fiveTuple(protocol, srcIp, srcPort, dstIp, dstPort);
    }

    /**
     * Picks a target for a new flow, or null when none is in rotation. The flow is counted on the
     * target by its owner ({@link Target#tcpConnectionOpened}, {@link Target#udpSessionOpened}): the
     * target is the one owner of its counts, which least connections reads.
     *
     * @param excluded targets already tried for this flow (connect retries); may be null when {@code excludedCount} is 0
     */
    public Target open(long flowHash, Target[] excluded, int excludedCount) {
        Snapshot s = snapshot;
        int[] excludedIndexes = Picker.NO_EXCLUSIONS;
        int n = 0;
        if (excludedCount > 0) {
            excludedIndexes = new int[excludedCount];
            for (int i = 0; i < excludedCount; i++) {
                int index = indexOf(s.rotation(), excluded[i]);
                if (index >= 0) {
                    excludedIndexes[n++] = index;
                }
            }
        }
        int index = s.picker().pick(flowHash, excludedIndexes, n);
        return index < 0 ? null : s.rotation()[index];
    }

    public Target open(long flowHash) {
        return open(flowHash, null, 0);
    }

    /**
     * The member whose QUIC-LB server ID is {@code serverId[0..length)}, draining or not (its
     * connections live there), or null. Allocates nothing.
     */
    public Target byServerId(byte[] serverId, int length) {
        return snapshot.serverIds().find(serverId, length);
    }

    /** The member whose server ID, in lowercase hex, starts the ufrag at {@code text[offset..offset+length)}, or null. */
    public Target byUfragPrefix(byte[] text, int offset, int length) {
        return snapshot.serverIds().findHexPrefix(text, offset, length);
    }

    /**
     * The target the picker gives {@code flowHash} (routing by a hash of the packet's content rather
     * than of its addresses). Null when none is in rotation.
     */
    public Target peek(long flowHash) {
        Snapshot s = snapshot;
        int index = s.picker().pick(flowHash, Picker.NO_EXCLUSIONS, 0);
        return index < 0 ? null : s.rotation()[index];
    }

    private static int indexOf(Target[] targets, Target target) {
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] == target) {
                return i;
            }
        }
        return -1;
    }

    // ---- control plane -------------------------------------------------------------------

    /**
     * Applies a (re)loaded config: algorithm, table size, settings, and the config's own targets.
     * Dynamic targets stay; config targets no longer listed start draining.
     *
     * @throws IllegalArgumentException naming the target when a host name does not resolve
     */
    public void applyConfig(TargetGroupConfig newConfig, long nowNanos) {
        for (TargetConfig t : newConfig.targets()) {
            resolve(name, t.address());
        }
        lock.lock();
        try {
            this.config = newConfig;
            this.configTargets = List.copyOf(newConfig.targets());
            converge(nowNanos);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Replaces the dynamic target list. Config targets stay (and their weight wins when both list
     * an address); dynamic targets no longer listed start draining.
     *
     * @throws IllegalArgumentException with a reason for the caller when the list cannot be applied
     */
    public void replaceDynamic(List<TargetConfig> dynamic, long nowNanos) {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < dynamic.size(); i++) {
            TargetConfig t = dynamic.get(i);
            if (!seen.add(t.address().toString())) {
                throw new IllegalArgumentException("targets[" + i + "]: " + t.address() + " is listed twice");
            }
            resolve(name, t.address());
        }
        lock.lock();
        try {
            Map<String, TargetConfig> union = desired(configTargets, dynamic);
            checkTableSize(union.size());
            this.dynamicTargets = List.copyOf(dynamic);
            converge(nowNanos);
        } finally {
            lock.unlock();
        }
    }

    /** The dynamic list as last replaced through the admin API. */
    public List<TargetConfig> dynamicTargets() {
        return dynamicTargets;
    }

    private static Map<String, TargetConfig> desired(List<TargetConfig> fromConfig, List<TargetConfig> dynamic) {
        Map<String, TargetConfig> union = new LinkedHashMap<>();
        for (TargetConfig t : fromConfig) {
            union.put(t.address().toString(), t);
        }
        for (TargetConfig t : dynamic) {
            union.putIfAbsent(t.address().toString(), t);
        }
        return union;
    }

    private void checkTableSize(int targets) {
        Algorithm a = config.algorithm();
        if ((a == Algorithm.MAGLEV || a == Algorithm.SOURCE_IP || a == Algorithm.ROUND_ROBIN)
                && (long) targets * 100 >= config.maglevTableSize()) {
            throw new IllegalArgumentException(targets + " targets need a Maglev table larger than 100 x targets; "
                    + "maglev_table_size is " + config.maglevTableSize());
        }
    }

    /**
     * Makes the members match config targets plus dynamic targets: new ones join, listed ones take
     * the listed weight (a target that was draining out is back in service), unlisted ones start
     * draining. The caller holds the lock.
     */
    private void converge(long nowNanos) {
        Set<String> fromConfig = new HashSet<>();
        configTargets.forEach(t -> fromConfig.add(t.address().toString()));
        Map<String, TargetConfig> want = desired(configTargets, dynamicTargets);
        List<Target> added = new ArrayList<>();
        for (TargetConfig t : want.values()) {
            String id = t.address().toString();
            Target.Source source = fromConfig.contains(id) ? Target.Source.CONFIG : Target.Source.DYNAMIC;
            Target have = members.get(id);
            if (have == null) {
                Target fresh = new Target(t.address(), resolve(name, t.address()), t.weight(), source);
                fresh.serverId(t.serverId().orElse(null));
                members.put(id, fresh);
                added.add(fresh);
            } else {
                have.weight(t.weight());
                have.source(source);
                have.serverId(t.serverId().orElse(null));
                if (have.removing()) {
                    have.cancelRemoval();
                    LOG.log(System.Logger.Level.INFO, "target group '" + name + "': target " + id + " is back");
                }
            }
        }
        Duration delay = config.deregistrationDelay();
        for (Target m : members.values()) {
            if (!want.containsKey(m.id()) && !m.removing()) {
                m.drain(nowNanos + delay.toNanos(), true);
                LOG.log(System.Logger.Level.INFO, "target group '" + name + "': target " + m.id()
                        + " left the group; draining for up to " + delay.toSeconds() + "s");
            }
        }
        rebuild();
        for (Target t : added) {
            listeners.forEach(l -> l.added(this, t));
        }
    }

    /** Admin drain: no new flows; open flows go on until idle or the deregistration delay. */
    public boolean drain(String id, long nowNanos) {
        lock.lock();
        try {
            Target t = members.get(id);
            if (t == null) {
                return false;
            }
            if (!t.draining()) {
                t.drain(nowNanos + config.deregistrationDelay().toNanos(), false);
                LOG.log(System.Logger.Level.INFO, "target group '" + name + "': draining target " + id + " (admin)");
                rebuild();
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** The active health check's verdict on a member. */
    public void health(Target target, HealthStatus health) {
        lock.lock();
        try {
            if (target.health() == health) {
                return;
            }
            target.health(health);
            rebuild();
        } finally {
            lock.unlock();
        }
        if (health == HealthStatus.UNHEALTHY && config.terminateOnUnhealthy()) {
            target.closeTcpConnections();
        }
    }

    /** Outlier detection took a member out until {@code untilNanos}. */
    public void eject(Target target, long untilNanos) {
        lock.lock();
        try {
            target.eject(untilNanos);
            rebuild();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Periodic control work: ends ejections that ran out, ends the flows of targets whose drain
     * deadline passed, and removes targets that left the group once their flows are gone.
     */
    public void tick(long nowNanos) {
        List<Target> purge = new ArrayList<>();
        List<Target> removed = new ArrayList<>();
        lock.lock();
        try {
            boolean changed = false;
            for (var it = members.entrySet().iterator(); it.hasNext(); ) {
                Target t = it.next().getValue();
                if (t.ejected() && nowNanos - t.ejectedUntilNanos() >= 0) {
                    t.uneject();
                    changed = true;
                }
                if (t.draining()) {
                    boolean deadline = nowNanos - t.drainDeadlineNanos() >= 0;
                    if (deadline && t.activeFlows() > 0) {
                        purge.add(t);
                    }
                    if (t.removing() && (t.activeFlows() == 0 || deadline)) {
                        it.remove();
                        removed.add(t);
                        changed = true;
                    }
                }
            }
            if (changed) {
                rebuild();
            }
        } finally {
            lock.unlock();
        }
        for (Target t : purge) {
            LOG.log(System.Logger.Level.INFO, "target group '" + name + "': deregistration delay over for " + t.id()
                    + "; closing its " + t.activeFlows() + " open flow(s)");
            purgers.forEach(p -> p.purge(t));
            t.closeTcpConnections();
        }
        for (Target t : removed) {
            listeners.forEach(l -> l.removed(this, t));
        }
    }

    /** Builds and publishes a new snapshot; the caller holds the lock. */
    private void rebuild() {
        List<Target> all = List.copyOf(members.values());
        List<Target> healthy = new ArrayList<>();
        List<Target> active = new ArrayList<>();
        for (Target t : all) {
            if (!t.draining()) {
                active.add(t);
                if (t.health() != HealthStatus.UNHEALTHY && !t.ejected()) {
                    healthy.add(t);
                }
            }
        }
        boolean failOpen = healthy.isEmpty() && !active.isEmpty();
        List<Target> rotation = failOpen ? active : healthy;
        List<Backend> backends = new ArrayList<>(rotation.size());
        Map<String, Target> byId = new LinkedHashMap<>();
        for (Target t : rotation) {
            backends.add(new Backend(t.id(), t.weight()));
            byId.put(t.id(), t);
        }
        Target[] ordered = new Target[backends.size()];
        // Least connections reads the targets' own counts (filled in below, before the snapshot is
        // published), so a rebuild neither loses nor double-counts the connections already open.
        Picker picker = Picker.of(config.algorithm(), backends, config.maglevTableSize(),
                i -> ordered[i].tcpConnections());
        for (int i = 0; i < ordered.length; i++) {
            ordered[i] = byId.get(picker.backends().get(i).id());
        }
        for (Target t : all) {
            t.inRotation(byId.containsKey(t.id()) && byId.get(t.id()) == t);
        }
        Snapshot previous = snapshot;
        List<byte[]> ids = new ArrayList<>();
        List<Target> owners = new ArrayList<>();
        for (Target t : all) {
            if (t.serverId() != null) {
                ids.add(t.serverId().bytes());
                owners.add(t);
            }
        }
        snapshot = new Snapshot(ordered, picker, failOpen, all, new ServerIds<>(ids, owners));
        if (failOpen != previous.failOpen()) {
            if (failOpen) {
                LOG.log(System.Logger.Level.WARNING, "target group '" + name + "': no healthy target; failing open "
                        + "(routing to all " + active.size() + " targets)");
            } else {
                LOG.log(System.Logger.Level.INFO, "target group '" + name + "': healthy targets again; fail-open over");
            }
        }
        listeners.forEach(l -> l.rotationChanged(this));
    }
}
