package io.wavelb.core;

import io.netty.channel.EventLoopGroup;
import io.wavelb.config.ConfigException;
import io.wavelb.config.ConfigLoader;
import io.wavelb.config.HexBytes;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.ServerIdRules;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.admin.AdminException;
import io.wavelb.core.admin.AdminOperations;
import io.wavelb.core.listener.Listener;
import io.wavelb.core.overload.OverloadAction;
import io.wavelb.core.overload.OverloadManager;
import io.wavelb.core.overload.OverloadSignal;
import io.wavelb.core.overload.OverloadState;
import io.wavelb.core.overload.OverloadStatus;
import io.wavelb.core.reload.ReloadPlan;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.tcp.TcpListener;
import io.wavelb.core.transport.Transport;
import io.wavelb.core.udp.UdpListener;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A running balancer: event loops, target groups and bound listeners built from one config, and
 * the control plane around them (draining deadlines, reloads, admin operations).
 *
 * <p>{@link #start} binds everything or nothing: if any listener cannot bind, what was bound is
 * closed again and the error names the address. {@link #reload} and {@link #apply} change the
 * running config or leave it exactly as it was.
 */
public final class LoadBalancer implements AutoCloseable, AdminOperations {

    private static final System.Logger LOG = System.getLogger(LoadBalancer.class.getName());
    private static final long TICK_MILLIS = 250;

    private final Transport transport;
    private final EventLoopGroup loops;
    private final Optional<Path> configFile;
    private final ScheduledExecutorService control;
    /** Serialises every change (reload, admin call); the packet path never takes it. */
    private final ReentrantLock changes = new ReentrantLock();
    private final Map<String, TargetGroup> groups = new LinkedHashMap<>();
    /** Groups a reload removed, kept until their targets have drained. */
    private final Map<String, TargetGroup> retiring = new LinkedHashMap<>();
    private final List<LifecycleHooks> hooks = new ArrayList<>();
    private volatile WavelbConfig config;
    private volatile List<BoundListener> bound = List.of();
    /** Listeners a reload removed whose TCP connections may still be finishing. */
    private final List<BoundListener> retired = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean stopping;
    private volatile boolean drainingBalancer;
    /** The overload state the data plane reads; written by the control tick only. */
    private final OverloadSignal overload = new OverloadSignal();
    /** Decides the overload state; used by the control tick only (its status under {@link #changes}-free reads). */
    private final OverloadManager overloadManager = new OverloadManager(io.wavelb.core.overload.OverloadThresholds.DEFAULTS,
            OverloadManager.DEFAULT_STUCK_AFTER_NANOS);
    private volatile OverloadStatus overloadStatus = new OverloadManager().status();
    private final long memoryBudget;
    private final java.util.concurrent.atomic.AtomicLongArray overloadActivations =
            new java.util.concurrent.atomic.AtomicLongArray(OverloadAction.values().length);
    private final java.util.concurrent.atomic.AtomicLong shedBytes = new java.util.concurrent.atomic.AtomicLong();
    private final io.wavelb.core.liveness.Heartbeats heartbeats;
    /** Parts that can report the process stuck: each gives its reasons, empty when fine. */
    private final List<java.util.function.Supplier<List<String>>> livenessChecks = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** Parts beside the data plane that check a reload before it is applied, and apply their share with it. */
    private final List<ReloadParticipant> reloadParticipants = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Extension points for what lives beside the data plane: health checks, metrics, the admin endpoint. */
    public interface LifecycleHooks {
        default void groupAdded(LoadBalancer lb, TargetGroup group) {
        }

        default void groupRemoved(LoadBalancer lb, TargetGroup group) {
        }

        default void listenerAdded(LoadBalancer lb, String name, ListenerStats stats, String protocol,
                                   java.util.function.IntSupplier udpSessions) {
        }

        default void listenerRemoved(LoadBalancer lb, String name) {
        }

        default void reloaded(LoadBalancer lb, WavelbConfig config, boolean ok) {
        }

        default void stopping(LoadBalancer lb) {
        }
    }

    /**
     * Something beside the data plane whose part of the config a reload may change (the admin
     * token). {@link #prepare} runs before anything changes, off the reload lock; it refuses the
     * whole reload by throwing, or returns what to do if the reload is applied.
     */
    public interface ReloadParticipant {
        /**
         * @return run (under the reload lock, so it must be quick) once the reload is applied
         * @throws Exception whose message says why {@code next} cannot be applied
         */
        Runnable prepare(WavelbConfig next) throws Exception;
    }

    private LoadBalancer(WavelbConfig config, Optional<Path> configFile, Transport transport, EventLoopGroup loops) {
        this.config = config;
        this.configFile = configFile;
        this.transport = transport;
        this.loops = loops;
        this.memoryBudget = memoryBudget(config.runtime().memoryBudget());
        this.heartbeats = new io.wavelb.core.liveness.Heartbeats(count(loops), System::nanoTime,
                io.wavelb.core.liveness.Heartbeats.STALL_AFTER);
        this.control = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "wavelb-control");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts from a config built in code (no file to reload from). */
    public static LoadBalancer start(WavelbConfig config) throws Exception {
        return start(config, Optional.empty(), List.of());
    }

    /**
     * Resolves targets, starts the event loops and binds every listener; then runs the hooks.
     *
     * @param configFile where {@link #reload()} re-reads the config from
     * @throws java.net.BindException naming the listener and address when one cannot bind
     * @throws IllegalArgumentException when a target's host name does not resolve
     */
    public static LoadBalancer start(WavelbConfig config, Optional<Path> configFile, List<LifecycleHooks> hooks)
            throws Exception {
        Map<String, TargetGroup> groups = new LinkedHashMap<>();
        for (TargetGroupConfig g : config.targetGroups()) {
            groups.put(g.name(), TargetGroup.create(g));
        }
        Transport transport = Transport.select(config.runtime().transport());
        EventLoopGroup loops = transport.newEventLoopGroup(config.runtime().eventLoops());
        LoadBalancer lb = new LoadBalancer(config, configFile, transport, loops);
        List<BoundListener> bound = new ArrayList<>();
        try {
            for (ListenerConfig l : config.listeners()) {
                bound.add(lb.bind(l, groups.get(l.targetGroup())));
            }
        } catch (Exception | Error e) {
            for (BoundListener b : bound) {
                b.stopAccepting().join();
            }
            lb.control.shutdownNow();
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
            throw e;
        }
        lb.bound = List.copyOf(bound);
        lb.hooks.addAll(hooks);
        lb.changes.lock();
        try {
            for (TargetGroup g : groups.values()) {
                lb.adopt(g);
            }
            for (BoundListener b : bound) {
                lb.announce(b);
            }
        } finally {
            lb.changes.unlock();
        }
        lb.control.scheduleAtFixedRate(lb::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        lb.startHeartbeats();
        LOG.log(System.Logger.Level.INFO, "wavelb started on " + transport.name() + " with "
                + count(loops) + " event loop(s); memory budget " + (lb.memoryBudget >> 20) + " MiB");
        return lb;
    }

    /** Each loop stamps its heartbeat from a task of its own: a loop that stops running stops stamping. */
    private void startHeartbeats() {
        long every = io.wavelb.core.liveness.Heartbeats.INTERVAL.toMillis();
        int i = 0;
        for (io.netty.util.concurrent.EventExecutor e : loops) {
            int loop = i++;
            // Cancelled only by the loop's own shutdown, which is the end of the process's data plane.
            e.scheduleAtFixedRate(() -> heartbeats.beat(loop), 0, every, TimeUnit.MILLISECONDS);
        }
    }

    /** Adds a part that can report the process stuck: it returns its reasons, empty when fine, and never blocks. */
    public void addLivenessCheck(java.util.function.Supplier<List<String>> check) {
        livenessChecks.add(check);
    }

    /** Adds a part that checks every reload before it is applied (see {@link ReloadParticipant}). */
    public void addReloadParticipant(ReloadParticipant participant) {
        reloadParticipants.add(participant);
    }

    /** Adds hooks after start (they see the groups and listeners that exist now). */
    public void addHooks(LifecycleHooks hook) {
        changes.lock();
        try {
            hooks.add(hook);
            for (TargetGroup g : groups.values()) {
                hook.groupAdded(this, g);
            }
            for (BoundListener b : bound) {
                hook.listenerAdded(this, b.name(), b.stats(), protocolOf(b), udpSessions(b));
            }
        } finally {
            changes.unlock();
        }
    }

    private void adopt(TargetGroup group) {
        groups.put(group.name(), group);
        // A target whose deregistration delay ran out loses its UDP sessions on every listener.
        group.addFlowPurger(target -> {
            for (BoundListener b : bound) {
                if (b.udp() != null) {
                    b.udp().purge(target);
                }
            }
        });
        for (LifecycleHooks h : hooks) {
            h.groupAdded(this, group);
        }
    }

    private void announce(BoundListener b) {
        for (LifecycleHooks h : hooks) {
            h.listenerAdded(this, b.name(), b.stats(), protocolOf(b), udpSessions(b));
        }
    }

    private static String protocolOf(BoundListener b) {
        return b.config().protocol().yamlName();
    }

    private static java.util.function.IntSupplier udpSessions(BoundListener b) {
        UdpListener udp = b.udp();
        return udp == null ? () -> 0 : udp::activeFlows;
    }

    private BoundListener bind(ListenerConfig l, TargetGroup group) throws Exception {
        boolean sharedEphemeral = l.listen().port() == 0 && l.protocol().carriesTcp() && l.protocol().carriesUdp();
        for (int attempt = 1; ; attempt++) {
            try {
                return bindOnce(l, group);
            } catch (java.net.BindException e) {
                // tcp_udp on port 0: the port TCP was given may already be taken for UDP; pick again.
                if (!sharedEphemeral || attempt == 20) {
                    throw e;
                }
            }
        }
    }

    private BoundListener bindOnce(ListenerConfig l, TargetGroup group) throws Exception {
        ListenerStats stats = new ListenerStats(l.name());
        InetSocketAddress address = resolveListen(l);
        TcpListener tcp = null;
        UdpListener udp = null;
        try {
            if (l.protocol().carriesTcp()) {
                tcp = new TcpListener(l, group, transport, stats);
                tcp.bind(loops, address);
                // tcp_udp with port 0: UDP must take the port TCP got.
                address = tcp.localAddress();
            }
            if (l.protocol().carriesUdp()) {
                udp = new UdpListener(l, group, transport, stats);
                udp.bind(loops, address);
            }
        } catch (Exception | Error e) {
            if (tcp != null) {
                tcp.stopAccepting().toCompletableFuture().join();
            }
            throw e;
        }
        if (tcp != null) {
            tcp.overload(overload);
        }
        if (udp != null) {
            udp.overload(overload);
        }
        return new BoundListener(l, stats, tcp, udp);
    }

    private static InetSocketAddress resolveListen(ListenerConfig l) {
        InetSocketAddress a = new InetSocketAddress(l.listen().host(), l.listen().port());
        if (a.isUnresolved()) {
            throw new IllegalArgumentException("listener '" + l.name() + "': cannot resolve listen host '"
                    + l.listen().host() + "'");
        }
        return a;
    }

    private static int count(EventLoopGroup loops) {
        int n = 0;
        for (var ignored : loops) {
            n++;
        }
        return n;
    }

    /**
     * The budget in force: the configured one within the allocator's limit. {@code wavelb run} sets
     * that limit ({@code io.netty.maxDirectMemory}) to the budget before Netty loads; a balancer
     * started in-process gets the JVM's limit there.
     */
    private static long memoryBudget(long configured) {
        long allocatorLimit = io.netty.util.internal.PlatformDependent.maxDirectMemory();
        return configured > 0 ? Math.min(configured, allocatorLimit) : allocatorLimit;
    }

    /** Direct memory the buffer allocator holds now, in bytes (Netty's own counter, else the JVM's). */
    public static long memoryUsed() {
        long used = io.netty.util.internal.PlatformDependent.usedDirectMemory();
        if (used >= 0) {
            return used;
        }
        for (java.lang.management.BufferPoolMXBean pool
                : java.lang.management.ManagementFactory.getPlatformMXBeans(java.lang.management.BufferPoolMXBean.class)) {
            if (pool.getName().equals("direct")) {
                return pool.getMemoryUsed();
            }
        }
        return 0;
    }

    /** Measures memory, decides the overload actions, publishes them, and applies the TCP ones on the loops. */
    private void overloadTick(long now) {
        OverloadManager.Decision d = overloadManager.evaluate(memoryUsed(), memoryBudget, now);
        OverloadState state = d.state();
        overload.publish(state);
        for (OverloadManager.Change c : d.changes()) {
            if (c.on()) {
                overloadActivations.incrementAndGet(c.action().ordinal());
            }
            LOG.log(c.on() ? System.Logger.Level.WARNING : System.Logger.Level.INFO, c.message());
        }
        overloadStatus = overloadManager.status();
        if (!state.reduceTimeouts() && !state.shedConnections()) {
            return;
        }
        List<TcpListener> tcp = new ArrayList<>();
        for (BoundListener b : bound) {
            if (b.tcp() != null) {
                tcp.add(b.tcp());
            }
        }
        for (BoundListener b : retired) {
            if (b.tcp() != null) {
                tcp.add(b.tcp());
            }
        }
        if (tcp.isEmpty()) {
            return;
        }
        // Shed down to where stop_accepting turns off again, not just under the shed threshold:
        // otherwise the holders that caused it keep new flows out until their idle timeouts.
        io.wavelb.core.overload.OverloadThresholds t = io.wavelb.core.overload.OverloadThresholds.DEFAULTS;
        long target = (long) (memoryBudget * (t.stopAccepting() - t.hysteresis()));
        long perLoop = Math.max(0, state.used() - target) / ((long) count(loops) * tcp.size());
        for (TcpListener l : tcp) {
            l.applyOverload(state, perLoop, shedBytes::addAndGet);
        }
    }

    // ---- overload ------------------------------------------------------------------------

    /**
     * The overload state for a health check: {@link OverloadStatus#stuck()} when shedding has not
     * brought memory back for {@link OverloadManager#DEFAULT_STUCK_AFTER_NANOS}.
     */
    public OverloadStatus overloadState() {
        return overloadStatus;
    }

    /** The memory budget in force, in bytes. */
    public long memoryBudget() {
        return memoryBudget;
    }

    /** Whether an overload action is in force now. */
    public boolean overloadActive(OverloadAction action) {
        return overload.state().active(action);
    }

    /** How many times an overload action has turned on. */
    public long overloadActivations(OverloadAction action) {
        return overloadActivations.get(action.ordinal());
    }

    /** Bytes of buffered data released by closing connections under overload. */
    public long overloadShedBytes() {
        return shedBytes.get();
    }

    private void tick() {
        try {
            long now = System.nanoTime();
            try {
                overloadTick(now);
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "overload tick failed", e);
            }
            List<TargetGroup> all;
            changes.lock();
            try {
                all = new ArrayList<>(groups.values());
                all.addAll(retiring.values());
            } finally {
                changes.unlock();
            }
            for (TargetGroup g : all) {
                g.tick(now);
            }
            changes.lock();
            try {
                retiring.values().removeIf(g -> {
                    if (g.targets().isEmpty()) {
                        hooks.forEach(h -> h.groupRemoved(this, g));
                        return true;
                    }
                    return false;
                });
            } finally {
                changes.unlock();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "control tick failed", e);
        }
    }

    // ---- accessors -----------------------------------------------------------------------

    public WavelbConfig config() {
        return config;
    }

    public Optional<Path> configFile() {
        return configFile;
    }

    public String transportName() {
        return transport.name();
    }

    public Transport transport() {
        return transport;
    }

    /** The event loops; health probes run on them too (they never block). */
    public EventLoopGroup loops() {
        return loops;
    }

    /** Every bound socket: a tcp_udp listener contributes its TCP and its UDP side. */
    public List<Listener> listeners() {
        List<Listener> all = new ArrayList<>();
        for (BoundListener b : bound) {
            all.addAll(b.sockets());
        }
        return all;
    }

    public Map<String, TargetGroup> targetGroups() {
        changes.lock();
        try {
            return Map.copyOf(groups);
        } finally {
            changes.unlock();
        }
    }

    public ListenerStats stats(String listener) {
        for (BoundListener b : bound) {
            if (b.name().equals(listener)) {
                return b.stats();
            }
        }
        return null;
    }

    /** The bound address of the named listener's first socket (TCP for tcp_udp). */
    public InetSocketAddress address(String listener) {
        for (BoundListener b : bound) {
            if (b.name().equals(listener)) {
                return b.sockets().getFirst().localAddress();
            }
        }
        throw new IllegalArgumentException("no listener " + listener);
    }

    // ---- reload --------------------------------------------------------------------------

    /** Re-reads the config file given at start and applies it. */
    @Override
    public ReloadOutcome reload() {
        if (configFile.isEmpty()) {
            return outcome(new Failed("no config file to reload from (started without --config)"), false);
        }
        WavelbConfig next;
        try {
            // The heap check too: a reload that would not fit is rejected, not an OutOfMemoryError later.
            next = ConfigLoader.load(configFile.get(), Runtime.getRuntime().maxMemory());
        } catch (ConfigException e) {
            LOG.log(System.Logger.Level.WARNING, "reload rejected; the running config stays:\n  "
                    + String.join("\n  ", e.problems().stream().map(io.wavelb.config.Problem::format).toList()));
            return outcome(new Rejected(e.problems()), false);
        } catch (java.nio.file.NoSuchFileException e) {
            // Its message is the bare path: say what is wrong with it.
            return outcome(new Failed("cannot read " + configFile.get() + ": no such file"), false);
        } catch (IOException e) {
            return outcome(new Failed("cannot read " + configFile.get() + ": " + e.getMessage()), false);
        }
        return apply(next);
    }

    /**
     * Applies a validated config: kept listeners keep their sockets and flows, new ones bind, removed
     * ones close gracefully, target changes go through draining. All or nothing: if a new listener
     * cannot bind or a target cannot be resolved, nothing changes.
     */
    public ReloadOutcome apply(WavelbConfig next) {
        // 0. What lives beside the data plane checks its part first, off the lock: a slow check
        //    (a token file on a hung mount) must not hold up admin calls or shutdown.
        List<Runnable> commits = new ArrayList<>();
        for (ReloadParticipant p : reloadParticipants) {
            try {
                commits.add(p.prepare(next));
            } catch (Exception e) {
                return outcome(new Failed(e.getMessage()), false);
            }
        }
        changes.lock();
        try {
            if (stopping) {
                return outcome(new Failed("shutting down"), false);
            }
            ReloadPlan plan = ReloadPlan.between(config, next);
            // 1. Everything that can fail, before anything changes: resolve, create, bind.
            Map<String, TargetGroup> created = new LinkedHashMap<>();
            try {
                for (TargetGroupConfig g : plan.addedGroups()) {
                    created.put(g.name(), TargetGroup.create(g));
                }
                for (TargetGroupConfig g : plan.keptGroups()) {
                    for (TargetConfig t : g.targets()) {
                        if (new InetSocketAddress(t.address().host(), t.address().port()).isUnresolved()) {
                            throw new IllegalArgumentException("target group '" + g.name()
                                    + "': cannot resolve host of target " + t.address());
                        }
                    }
                }
            } catch (IllegalArgumentException e) {
                return outcome(new Failed(e.getMessage()), false);
            }
            List<BoundListener> fresh = new ArrayList<>();
            try {
                for (ListenerConfig l : plan.addedListeners()) {
                    TargetGroup g = created.containsKey(l.targetGroup()) ? created.get(l.targetGroup())
                            : groups.get(l.targetGroup());
                    fresh.add(bind(l, g));
                }
            } catch (Exception e) {
                for (BoundListener b : fresh) {
                    b.stopAccepting().join();
                }
                return outcome(new Failed(e.getMessage()), false);
            }
            // 2. Commit.
            long now = System.nanoTime();
            for (TargetGroupConfig g : plan.keptGroups()) {
                groups.get(g.name()).applyConfig(g, now);
            }
            for (TargetGroup g : created.values()) {
                adopt(g);
            }
            Map<String, BoundListener> byName = new LinkedHashMap<>();
            for (BoundListener b : bound) {
                byName.put(b.name(), b);
            }
            List<BoundListener> next2 = new ArrayList<>();
            for (ReloadPlan.Kept k : plan.keptListeners()) {
                next2.add(byName.get(k.before().name()).update(k.after(), groups.get(k.after().targetGroup())));
            }
            next2.addAll(fresh);
            List<BoundListener> gone = new ArrayList<>();
            for (ListenerConfig l : plan.removedListeners()) {
                gone.add(byName.get(l.name()));
            }
            bound = List.copyOf(next2);
            for (BoundListener b : gone) {
                b.retire();
                retired.add(b);
                hooks.forEach(h -> h.listenerRemoved(this, b.name()));
            }
            for (BoundListener b : fresh) {
                announce(b);
            }
            for (String name : plan.removedGroups()) {
                TargetGroup g = groups.remove(name);
                g.replaceDynamic(List.of(), now);
                g.applyConfig(g.config().withTargets(List.of()), now);
                retiring.put(name, g);
            }
            config = next;
            commits.forEach(Runnable::run);
            for (String r : plan.restartNeeded()) {
                LOG.log(System.Logger.Level.WARNING, "reload: changes to " + r + " take effect after a restart");
            }
            String summary = plan.summary();
            LOG.log(System.Logger.Level.INFO, "reloaded: " + summary);
            return outcome(new Reloaded(summary), true);
        } finally {
            changes.unlock();
        }
    }

    private ReloadOutcome outcome(ReloadOutcome o, boolean ok) {
        if (o instanceof Failed f) {
            LOG.log(System.Logger.Level.WARNING, "reload failed; the running config stays: " + f.message());
        }
        for (LifecycleHooks h : hooks) {
            h.reloaded(this, config, ok);
        }
        return o;
    }

    // ---- admin operations ----------------------------------------------------------------

    @Override
    public Readiness readiness() {
        List<String> reasons = new ArrayList<>();
        if (stopping) {
            reasons.add("shutting down");
        }
        if (drainingBalancer) {
            reasons.add("draining: the balancer is leaving service");
        }
        java.util.Set<String> used = new java.util.LinkedHashSet<>();
        for (BoundListener b : bound) {
            used.add(b.config().targetGroup());
        }
        Map<String, TargetGroup> now = targetGroups();
        for (String name : used) {
            TargetGroup g = now.get(name);
            if (g != null && !g.hasHealthyTarget()) {
                reasons.add(g.targets().isEmpty() ? "target group '" + name + "' has no targets"
                        : g.failOpen() ? "target group '" + name + "' has no healthy target (failing open)"
                        : "target group '" + name + "' has no target in rotation");
            }
        }
        return new Readiness(reasons.isEmpty(), reasons);
    }

    /**
     * Stalled event loops first, then an overload the process cannot leave (shedding connections
     * has not brought memory back within the stuck limit), then whatever the added checks report.
     * Never blocks.
     */
    @Override
    public Liveness liveness() {
        List<String> reasons = new ArrayList<>(heartbeats.stalled());
        OverloadStatus overload = overloadStatus;
        if (overload.stuck()) {
            reasons.addAll(overload.reasons());
        }
        for (java.util.function.Supplier<List<String>> check : livenessChecks) {
            reasons.addAll(check.get());
        }
        return Liveness.of(reasons);
    }

    @Override
    public List<GroupStatus> targets() {
        List<GroupStatus> out = new ArrayList<>();
        for (TargetGroup g : targetGroups().values()) {
            List<TargetStatus> ts = new ArrayList<>();
            for (Target t : g.targets()) {
                ts.add(new TargetStatus(t.id(), t.weight(), t.state(), t.source().name().toLowerCase(java.util.Locale.ROOT),
                        t.lastCheckAt(), t.lastCheckResult(), t.udpSessions(), t.tcpConnections(),
                        t.serverId() == null ? null : t.serverId().toString()));
            }
            out.add(new GroupStatus(g.name(), g.algorithm().yamlName(), g.failOpen(), ts));
        }
        return out;
    }

    @Override
    public void replaceTargets(String group, List<TargetSpec> targets) throws AdminException {
        List<TargetConfig> list = new ArrayList<>();
        for (int i = 0; i < targets.size(); i++) {
            TargetSpec t = targets.get(i);
            try {
                list.add(new TargetConfig(t.address(), t.weight(), t.serverId()));
            } catch (IllegalArgumentException e) {
                throw new AdminException(400, "targets[" + i + "]: " + e.getMessage());
            }
        }
        changes.lock();
        try {
            TargetGroup g = groupOrThrow(group);
            checkServerIds(g, list);
            try {
                g.replaceDynamic(list, System.nanoTime());
            } catch (IllegalArgumentException e) {
                throw new AdminException(400, e.getMessage());
            }
        } finally {
            changes.unlock();
        }
    }

    /**
     * Dynamic server IDs follow the config's rules ({@link ServerIdRules}), checked against the
     * listeners bound to the group now, together with the group's config targets (listed first, so
     * a clash is reported at the dynamic entry). A dynamic target may lack an ID: it then gets
     * 5-tuple flows only.
     */
    private void checkServerIds(TargetGroup g, List<TargetConfig> dynamic) throws AdminException {
        List<ListenerConfig> listeners = new ArrayList<>();
        for (BoundListener b : bound) {
            listeners.add(b.config());
        }
        ServerIdRules.Readers readers = ServerIdRules.Readers.of(listeners, g.name());
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

    @Override
    public void drain(String group, HostPort address) throws AdminException {
        changes.lock();
        try {
            TargetGroup g = groupOrThrow(group);
            if (!g.drain(address.toString(), System.nanoTime())) {
                throw new AdminException(404, "target group '" + group + "' has no target " + address);
            }
        } finally {
            changes.unlock();
        }
    }

    @Override
    public void drainBalancer() {
        if (!drainingBalancer) {
            drainingBalancer = true;
            LOG.log(System.Logger.Level.INFO, "draining: reporting not ready; open and new flows are still served");
        }
    }

    private TargetGroup groupOrThrow(String name) throws AdminException {
        TargetGroup g = groups.get(name);
        if (g == null) {
            throw new AdminException(404, "no target group '" + name + "' (defined: " + String.join(", ", groups.keySet()) + ")");
        }
        return g;
    }

    // ---- shutdown ------------------------------------------------------------------------

    /**
     * Stops taking new flows, lets open TCP connections finish for up to {@code grace}, then closes
     * whatever is left and stops the event loops. UDP sessions end at once: UDP has no end of
     * stream to wait for.
     */
    public void shutdown(Duration grace) {
        changes.lock();
        try {
            if (stopping) {
                return;
            }
            stopping = true;
            hooks.forEach(h -> h.stopping(this));
        } finally {
            changes.unlock();
        }
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (BoundListener b : bound) {
            stops.add(b.stopAccepting());
        }
        CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)).join();
        long deadline = System.nanoTime() + grace.toNanos();
        int open;
        while ((open = openFlows()) > 0 && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (open > 0) {
            LOG.log(System.Logger.Level.WARNING, "grace period over: closing " + open + " open connection(s)");
            List<CompletableFuture<Void>> closes = new ArrayList<>();
            for (Listener l : listeners()) {
                closes.add(l.closeFlows().toCompletableFuture());
            }
            for (BoundListener b : retired) {
                for (Listener l : b.sockets()) {
                    closes.add(l.closeFlows().toCompletableFuture());
                }
            }
            CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new)).join();
        }
        control.shutdownNow();
        loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private int openFlows() {
        int n = 0;
        for (BoundListener b : bound) {
            n += b.activeFlows();
        }
        for (BoundListener b : retired) {
            n += b.activeFlows();
        }
        return n;
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    private volatile LoadSampler loadSampler;

    /** {@code GET /v1/load}: every bound listener's flows and cap, rates since the last sample, descriptors, loop busy. */
    @Override
    public io.wavelb.core.admin.LoadReport load() {
        LoadSampler sampler = loadSampler;
        if (sampler == null) {
            changes.lock();
            try {
                if (loadSampler == null) {
                    loadSampler = new LoadSampler(loops);
                }
                sampler = loadSampler;
            } finally {
                changes.unlock();
            }
        }
        List<io.wavelb.core.admin.LoadReport.ListenerLoad> ls = new ArrayList<>();
        long flows = 0;
        long datagrams = 0;
        long bytes = 0;
        for (BoundListener b : bound) {
            int open = b.activeFlows();
            ls.add(new io.wavelb.core.admin.LoadReport.ListenerLoad(b.name(), protocolOf(b), open,
                    b.udp() == null ? -1 : b.config().udp().maxSessions()));
            for (io.wavelb.core.stats.ListenerCounter c : LoadSampler.FLOWS) {
                flows += b.stats().total(c);
            }
            for (io.wavelb.core.stats.ListenerCounter c : LoadSampler.DATAGRAMS) {
                datagrams += b.stats().total(c);
            }
            for (io.wavelb.core.stats.ListenerCounter c : LoadSampler.BYTES) {
                bytes += b.stats().total(c);
            }
        }
        return sampler.sample(new LoadSampler.Counters(ls, flows, datagrams, bytes));
    }
}
