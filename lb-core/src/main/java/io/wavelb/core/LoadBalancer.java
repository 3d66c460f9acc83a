package io.wavelb.core;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.wavelb.config.ConfigException;
import io.wavelb.config.ConfigLoader;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Problem;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.admin.AdminException;
import io.wavelb.core.admin.AdminOperations;
import io.wavelb.core.admin.LoadReport;
import io.wavelb.core.listener.AbstractListener;
import io.wavelb.core.listener.Descriptors;
import io.wavelb.core.listener.InheritedSockets;
import io.wavelb.core.target.Target;
import io.wavelb.core.flowlog.FlowLog;
import io.wavelb.core.health.state.HealthStatus;
import io.wavelb.core.takeover.RunningSide;
import io.wavelb.core.takeover.TakeoverProtocol;
import io.wavelb.core.listener.Listener;
import io.wavelb.core.liveness.Heartbeats;
import io.wavelb.core.overload.OverloadAction;
import io.wavelb.core.overload.OverloadStatus;
import io.wavelb.core.reload.ReloadPlan;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.tcp.TcpListener;
import io.wavelb.core.transparent.Finding;
import io.wavelb.core.transparent.HostCheck;
import io.wavelb.core.transparent.IpFamily;
import io.wavelb.core.transparent.TransparentNeeds;
import io.wavelb.core.transport.BoundedWait;
import io.wavelb.core.transport.LoopPriming;
import io.wavelb.core.transport.LoopStop;
import io.wavelb.core.transport.Transport;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * A running balancer: event loops, target groups and bound listeners built from one config, and
 * the control plane around them. This is the facade the rest of the process uses; each job has its
 * own part:
 *
 * <ul>
 *   <li>{@link SocketBinder} binds a listener (all its sockets or none, with retries for a
 *       {@code tcp_udp} listener on port 0);
 *   <li>{@link TargetGroupRegistry} holds the running and retiring target groups;
 *   <li>{@link OverloadControl} is the overload step of the control tick;
 *   <li>{@link AdminActions} implements the admin operations;
 *   <li>this class starts and stops, runs the control tick and commits reloads ({@link #apply}),
 *       all changes serialised by one lock the packet path never takes.
 * </ul>
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
    private final TargetGroupRegistry groups;
    private final Handover handover = new Handover(this);
    private final List<LifecycleHooks> hooks = new ArrayList<>();
    private volatile WavelbConfig config;
    private volatile List<BoundListener> bound = List.of();
    /** Listeners a reload removed whose TCP connections may still be finishing. */
    private final List<BoundListener> retired = new CopyOnWriteArrayList<>();
    private volatile boolean stopping;
    /** Set once {@link #bindListeners} has bound them: ready, and reloads are taken. */
    private volatile boolean listening;
    /** Between {@link #prepare} and {@link #bindListeners}: the sockets passed for the listeners (guarded by {@link #changes}). */
    private InheritedSockets unbound;
    private final OverloadControl overload;
    private final SocketBinder binder;
    private final Heartbeats heartbeats;
    /** Parts that can report the process stuck: each gives its reasons, empty when fine. */
    private final List<Supplier<List<String>>> livenessChecks = new CopyOnWriteArrayList<>();
    /** Parts beside the data plane that check a reload before it is applied, and apply their share with it. */
    private final List<ReloadParticipant> reloadParticipants = new CopyOnWriteArrayList<>();
    private final AdminActions admin;
    /** The process's flow log: listeners write to it; a reload that changes {@code flow_log} swaps its writer. */
    private final FlowLog flowLog;

    /** Extension points for what lives beside the data plane: health checks, metrics, the admin endpoint. */
    public interface LifecycleHooks {
        default void groupAdded(LoadBalancer lb, TargetGroup group) {
        }

        default void groupRemoved(LoadBalancer lb, TargetGroup group) {
        }

        default void listenerAdded(LoadBalancer lb, String name, ListenerStats stats, String protocol,
                                   IntSupplier udpSessions) {
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

    private LoadBalancer(WavelbConfig config, Optional<Path> configFile, Transport transport, EventLoopGroup loops,
                         FlowLog flowLog) {
        this.config = config;
        this.flowLog = flowLog;
        this.configFile = configFile;
        this.transport = transport;
        this.loops = loops;
        int loopCount = count(loops);
        this.overload = new OverloadControl(config.runtime().memoryBudget(), loopCount);
        this.binder = new SocketBinder(transport, loops, overload.signal(), flowLog);
        this.heartbeats = new Heartbeats(loopCount, System::nanoTime, Heartbeats.STALL_AFTER);
        // A target whose deregistration delay ran out loses its UDP sessions on every listener.
        this.groups = new TargetGroupRegistry(target -> {
            for (BoundListener b : bound) {
                if (b.udp() != null) {
                    b.udp().purge(target);
                }
            }
        });
        this.admin = new AdminActions(new AdminActions.View(() -> bound, () -> this.config.listeners(),
                () -> listening, () -> stopping, groups, changes, heartbeats, overload::status, livenessChecks, loops));
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
     * @throws BindException naming the listener and address when one cannot bind
     * @throws IllegalArgumentException when a target's host name does not resolve
     */
    public static LoadBalancer start(WavelbConfig config, Optional<Path> configFile, List<LifecycleHooks> hooks)
            throws Exception {
        return start(config, configFile, hooks, InheritedSockets.none());
    }

    /**
     * As {@link #start(WavelbConfig, Optional, List)}, with listener sockets this process did not
     * bind (systemd socket activation): each listener side takes the ones meant for it instead of
     * binding; those no listener takes are named in a warning and closed. Only this start uses
     * them: a listener a reload adds binds its own.
     *
     * @throws IllegalStateException when there are inherited sockets and the transport cannot use them
     */
    public static LoadBalancer start(WavelbConfig config, Optional<Path> configFile, List<LifecycleHooks> hooks,
                                     InheritedSockets inherited) throws Exception {
        return start(config, configFile, hooks, inherited, List.of());
    }

    /**
     * As above, the targets starting from the health {@code seeded} gives them (a takeover's: the
     * verdicts of the process taken over, so the new one does not start from "unknown" and flap).
     */
    public static LoadBalancer start(WavelbConfig config, Optional<Path> configFile, List<LifecycleHooks> hooks,
                                     InheritedSockets inherited, List<TakeoverProtocol.TargetHealth> seeded)
            throws Exception {
        LoadBalancer lb = prepare(config, configFile, hooks, inherited, seeded);
        try {
            lb.bindListeners();
        } catch (Exception | Error e) {
            lb.shutdown(Duration.ZERO);
            throw e;
        }
        return lb;
    }

    /**
     * The first half of {@link #start}: everything but the listeners. Resolves targets, starts the
     * event loops, the control tick and the heartbeats, and runs the hooks for the groups (health
     * checks start probing); {@link #bindListeners} binds the listeners (or takes the
     * {@code inherited} sockets) later, so that what else a process starts (admin endpoint, control
     * socket) is up before the first datagram arrives and does not share the CPU with it. Until
     * then the balancer is not ready ({@link #readiness}) and refuses reloads; {@link #shutdown}
     * closes the inherited sockets no listener took.
     *
     * @throws IllegalArgumentException when a target's host name does not resolve
     * @throws IllegalStateException when there are inherited sockets and the transport cannot use them
     */
    public static LoadBalancer prepare(WavelbConfig config, Optional<Path> configFile, List<LifecycleHooks> hooks,
                                       InheritedSockets inherited, List<TakeoverProtocol.TargetHealth> seeded)
            throws Exception {
        Map<String, TargetGroup> created = new LinkedHashMap<>();
        for (TargetGroupConfig g : config.targetGroups()) {
            created.put(g.name(), TargetGroup.create(g));
        }
        for (TakeoverProtocol.TargetHealth h : seeded) {
            TargetGroup g = created.get(h.group());
            Target t = g == null ? null : g.member(h.target());
            if (t != null && g.config().healthCheck().isPresent()) {
                try {
                    g.health(t, HealthStatus.valueOf(h.health()));
                } catch (IllegalArgumentException e) {
                    // a verdict this version does not know: the target starts unknown
                }
            }
        }
        Transport transport = Transport.select(config.runtime().transport());
        checkHost(config, transport).ifPresent(refusal -> {
            closeUntaken(inherited, "closing it");
            throw new IllegalStateException(refusal);
        });
        if (!inherited.isEmpty() && !transport.canAdoptSockets()) {
            closeUntaken(inherited, "closing it");
            throw new IllegalStateException(inherited.source() + " passed " + inherited.untaken().size()
                    + " listening socket(s), which the " + transport.name() + " transport cannot use: set"
                    + " runtime.transport: epoll (or auto where epoll is available)");
        }
        // Before any event loop: a flow log file that cannot be opened stops the start, naming it.
        FlowLog flowLog = FlowLog.start(config.flowLog());
        EventLoopGroup loops;
        try {
            loops = transport.newEventLoopGroup(config.runtime().eventLoops(), config.runtime().busyPoll());
            if (!config.runtime().busyPoll().isZero()) {
                transport.busyPollProblem().ifPresentOrElse(
                        problem -> LOG.log(System.Logger.Level.WARNING, problem),
                        () -> LOG.log(System.Logger.Level.INFO, "event loops poll for " + config.runtime().busyPoll().toNanos() / 1000
                                + " us after their last I/O before they sleep (runtime.busy_poll)"));
            }
        } catch (RuntimeException | Error e) {
            flowLog.close();
            throw e;
        }
        // The loop threads' first allocations, and the deoptimisations they cause, before anything listens.
        LoopPriming.prime(loops, ByteBufAllocator.DEFAULT, primingSizes(config, transport));
        LoadBalancer lb = new LoadBalancer(config, configFile, transport, loops, flowLog);
        lb.unbound = inherited;
        // A reload that names a flow log file which cannot be opened is refused whole.
        lb.addReloadParticipant(next -> flowLog.prepare(next.flowLog()));
        lb.hooks.addAll(hooks);
        lb.changes.lock();
        try {
            for (TargetGroup g : created.values()) {
                lb.adopt(g);
            }
        } finally {
            lb.changes.unlock();
        }
        lb.control.scheduleAtFixedRate(lb::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
        lb.startHeartbeats();
        LOG.log(System.Logger.Level.INFO, "wavelb started on " + transport.name() + " with "
                + count(loops) + " event loop(s); memory budget " + (lb.overload.budget() >> 20) + " MiB");
        return lb;
    }

    /** What the data path allocates first: small and MTU-sized datagrams, each UDP listener's receive area, a TCP read. */
    private static int[] primingSizes(WavelbConfig config, Transport transport) {
        java.util.TreeSet<Integer> sizes = new java.util.TreeSet<>(List.of(64, 1200, 16 * 1024));
        for (ListenerConfig l : config.listeners()) {
            int max = l.udp().maxDatagramSize();
            sizes.add(max + 1);
            sizes.add((max + 1) * transport.datagramReceiveBatch());
        }
        return sizes.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The second half of {@link #start}, once: binds every listener of the config (each side on
     * the inherited sockets meant for it, if any), or none. The sockets no listener took are named
     * in a warning and closed. The last step of a start: the first datagrams arrive as soon as a
     * socket is bound, so the listeners' meters are registered (the hooks' {@code listenerAdded})
     * before, and nothing but the binding runs after the first socket is bound.
     *
     * @throws BindException naming the listener and address when one cannot bind; nothing is bound
     *                       then, and the balancer is still to be shut down
     */
    public void bindListeners() throws Exception {
        InheritedSockets inherited;
        changes.lock();
        try {
            if (listening || unbound == null) {
                throw new IllegalStateException(listening ? "the listeners are bound already" : "shutting down");
            }
            inherited = unbound;
            unbound = null;
        } finally {
            changes.unlock();
        }
        List<ListenerStats> stats = new ArrayList<>();
        changes.lock();
        try {
            for (ListenerConfig l : config.listeners()) {
                ListenerStats s = new ListenerStats(l.name());
                stats.add(s);
                // Read by name, as the sockets do not exist yet: a gauge is read at scrape time.
                String name = l.name();
                for (LifecycleHooks h : hooks) {
                    h.listenerAdded(this, name, s, l.protocol().yamlName(), () -> udpSessions(name));
                }
            }
        } finally {
            changes.unlock();
        }
        List<BoundListener> fresh = new ArrayList<>();
        try {
            for (int i = 0; i < config.listeners().size(); i++) {
                ListenerConfig l = config.listeners().get(i);
                fresh.add(binder.bind(l, groups.get(l.targetGroup()), inherited, stats.get(i)));
            }
            // Not kept for later: a reload never re-adopts, and an unused socket would hold its port.
            closeUntaken(inherited, "no listener matches it (FileDescriptorName= must be a listener's name, or"
                    + " the socket's address a listener's listen:); closing it");
        } catch (Exception | Error e) {
            closeUntaken(inherited, "closing it");
            for (BoundListener b : fresh) {
                b.stopAccepting().join();
            }
            changes.lock();
            try {
                for (ListenerConfig l : config.listeners()) {
                    hooks.forEach(h -> h.listenerRemoved(this, l.name()));
                }
            } finally {
                changes.unlock();
            }
            throw e;
        }
        changes.lock();
        try {
            bound = List.copyOf(fresh);
            listening = true;
        } finally {
            changes.unlock();
        }
    }

    /** The open UDP sessions of the listener of that name, 0 while it has no UDP side (or is gone). */
    private int udpSessions(String listener) {
        for (BoundListener b : bound) {
            if (b.name().equals(listener)) {
                return b.udpSessions().getAsInt();
            }
        }
        return 0;
    }

    /** Whether {@link #bindListeners} has bound the listeners (a balancer from {@link #start} has). */
    public boolean listening() {
        return listening;
    }

    /**
     * For transparent listeners: what {@link HostCheck} finds on this host, logged; the reason the
     * config cannot be served here (a missing capability, a transport without IP_TRANSPARENT), or
     * empty. Missing reply routing is only logged: it may be set up after the start, or in ways
     * (firewall marks, the targets' hosts) this process cannot see.
     */
    private static Optional<String> checkHost(WavelbConfig config, Transport transport) {
        List<TransparentNeeds> needs = TransparentNeeds.of(config);
        if (needs.isEmpty()) {
            return Optional.empty();
        }
        Set<IpFamily> families = EnumSet.noneOf(IpFamily.class);
        needs.forEach(n -> families.addAll(n.families()));
        List<Finding> findings = HostCheck.diagnose(needs, HostProbe.gather(transport, families));
        for (Finding f : findings) {
            switch (f.severity()) {
                case OK, NOTE -> LOG.log(System.Logger.Level.INFO, "transparent mode: " + f.format());
                case WARNING -> LOG.log(System.Logger.Level.WARNING, "transparent mode: " + f.format()
                        + "\n(wavelb check-host --config FILE prints this again)");
                case ERROR -> { }
            }
        }
        String errors = findings.stream().filter(f -> f.severity() == Finding.Severity.ERROR).map(Finding::message)
                .collect(java.util.stream.Collectors.joining("; "));
        return errors.isEmpty() ? Optional.empty() : Optional.of(errors);
    }

    private static void closeUntaken(InheritedSockets inherited, String why) {
        for (InheritedSockets.InheritedSocket s : inherited.untaken()) {
            String failed = Descriptors.close(s.fd());
            LOG.log(System.Logger.Level.WARNING, inherited.source() + " passed " + s.describe() + ": " + why
                    + (failed == null ? "" : " (close failed: " + failed + ")"));
        }
    }

    /** Each loop stamps its heartbeat from a task of its own: a loop that stops running stops stamping. */
    private void startHeartbeats() {
        long every = Heartbeats.INTERVAL.toMillis();
        int i = 0;
        for (EventExecutor e : loops) {
            int loop = i++;
            // Cancelled only by the loop's own shutdown, which is the end of the process's data plane.
            e.scheduleAtFixedRate(() -> heartbeats.beat(loop), 0, every, TimeUnit.MILLISECONDS);
        }
    }

    /** Adds a part that can report the process stuck: it returns its reasons, empty when fine, and never blocks. */
    public void addLivenessCheck(Supplier<List<String>> check) {
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
            for (TargetGroup g : groups.groups().values()) {
                hook.groupAdded(this, g);
            }
            for (BoundListener b : bound) {
                hook.listenerAdded(this, b.name(), b.stats(), b.protocol(), b.udpSessions());
            }
        } finally {
            changes.unlock();
        }
    }

    /** Adds a group to the registry and tells the hooks; under the change lock. */
    private void adopt(TargetGroup group) {
        groups.add(group);
        for (LifecycleHooks h : hooks) {
            h.groupAdded(this, group);
        }
    }

    private void announce(BoundListener b) {
        for (LifecycleHooks h : hooks) {
            h.listenerAdded(this, b.name(), b.stats(), b.protocol(), b.udpSessions());
        }
    }

    private static int count(EventLoopGroup loops) {
        int n = 0;
        for (var ignored : loops) {
            n++;
        }
        return n;
    }

    /** Direct memory the buffer allocator holds now, in bytes (Netty's own counter, else the JVM's). */
    public static long memoryUsed() {
        return OverloadControl.memoryUsed();
    }

    // ---- overload ------------------------------------------------------------------------

    /**
     * The overload state for a health check: {@link OverloadStatus#stuck()} when shedding has not
     * brought memory back for {@code OverloadManager.DEFAULT_STUCK_AFTER_NANOS}.
     */
    public OverloadStatus overloadState() {
        return overload.status();
    }

    /** The memory budget in force, in bytes. */
    public long memoryBudget() {
        return overload.budget();
    }

    /** Whether an overload action is in force now. */
    public boolean overloadActive(OverloadAction action) {
        return overload.active(action);
    }

    /** How many times an overload action has turned on. */
    public long overloadActivations(OverloadAction action) {
        return overload.activations(action);
    }

    /** Bytes of buffered data released by closing connections under overload. */
    public long overloadShedBytes() {
        return overload.shedBytes();
    }

    // ---- control tick --------------------------------------------------------------------

    /** Overload first, then the groups' drain deadlines and ejection expiry, then retired groups that emptied. */
    private void tick() {
        try {
            long now = System.nanoTime();
            try {
                overload.tick(now, tcpListeners());
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "overload tick failed", e);
            }
            groups.tick(now);
            List<TargetGroup> drained = groups.drained();
            if (drained.isEmpty()) {
                return;
            }
            changes.lock();
            try {
                for (TargetGroup g : drained) {
                    hooks.forEach(h -> h.groupRemoved(this, g));
                    groups.forget(g);
                }
            } finally {
                changes.unlock();
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "control tick failed", e);
        }
    }

    /** Every TCP side, bound or retired and still finishing: the overload actions reach them all. */
    private List<TcpListener> tcpListeners() {
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
        return tcp;
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
    /** This balancer as the process a takeover takes over. */
    public RunningSide runningSide() {
        return handover;
    }

    /**
     * A takeover's new process, the snapshot: takes the sessions the old one handed over (each with
     * its upstream socket) into the listeners they name, without reading them yet. Sessions whose
     * listener or target is gone have their sockets closed.
     *
     * @return how many were taken
     */
    public int prepareSessions(List<TakeoverProtocol.SessionState> sessions, List<Integer> fds) throws Exception {
        return handover.prepare(sessions, fds);
    }

    /**
     * A takeover's new process, in the pause: drops the snapshot's sessions that ended, takes those
     * opened since, and reads every session's socket from now on.
     *
     * @return how many sessions were taken over in all
     */
    public int completeSessions(List<Long> closed, List<TakeoverProtocol.SessionState> opened, List<Integer> fds)
            throws Exception {
        return handover.complete(closed, opened, fds);
    }

    /** A takeover's new process, once the sessions are in: every listener starts reading. */
    public void resumeReading() {
        handover.resumeReading();
    }

    /** The listeners as bound now; for the takeover's view of them. */
    List<BoundListener> boundListeners() {
        return bound;
    }

    public List<Listener> listeners() {
        List<Listener> all = new ArrayList<>();
        for (BoundListener b : bound) {
            all.addAll(b.sockets());
        }
        return all;
    }

    /** The running target groups by name, in config order (an immutable snapshot). */
    public Map<String, TargetGroup> targetGroups() {
        return groups.groups();
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
                    + String.join("\n  ", e.problems().stream().map(Problem::format).toList()));
            return outcome(new Rejected(e.problems()), false);
        } catch (NoSuchFileException e) {
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
        // A reload that adds transparent listeners to a process that cannot serve them is refused whole.
        Optional<String> refusal = checkHost(next, transport);
        if (refusal.isPresent()) {
            return outcome(new Failed(refusal.get()), false);
        }
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
            if (!listening) {
                return outcome(new Failed("starting: the listeners are not bound yet"), false);
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
                    fresh.add(binder.bind(l, g));
                }
            } catch (Exception e) {
                for (BoundListener b : fresh) {
                    BoundedWait.await(b.stopAccepting(), AbstractListener.OPEN_STEP, LOG,
                            "reload: closing listener '" + b.name() + "' of the failed reload");
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
            List<BoundListener> kept = new ArrayList<>();
            List<CompletableFuture<Void>> applied = new ArrayList<>();
            for (ReloadPlan.Kept k : plan.keptListeners()) {
                BoundListener.Updated u = byName.get(k.before().name()).update(k.after(), groups.get(k.after().targetGroup()));
                kept.add(u.listener());
                applied.add(u.applied());
            }
            kept.addAll(fresh);
            List<BoundListener> gone = new ArrayList<>();
            for (ListenerConfig l : plan.removedListeners()) {
                gone.add(byName.get(l.name()));
            }
            bound = List.copyOf(kept);
            for (BoundListener b : gone) {
                b.retire();
                retired.add(b);
                hooks.forEach(h -> h.listenerRemoved(this, b.name()));
            }
            for (BoundListener b : fresh) {
                announce(b);
            }
            for (String name : plan.removedGroups()) {
                groups.retire(name, now);
            }
            config = next;
            commits.forEach(Runnable::run);
            for (String r : plan.restartNeeded()) {
                LOG.log(System.Logger.Level.WARNING, "reload: changes to " + r + " take effect after a restart");
            }
            String summary = plan.summary() + settled(applied);
            LOG.log(System.Logger.Level.INFO, "reloaded: " + summary);
            return outcome(new Reloaded(summary), true);
        } finally {
            changes.unlock();
        }
    }

    /** How long a reload waits for the event loops to take the new settings before it answers. */
    static final Duration RELOAD_SETTLE = Duration.ofSeconds(10);

    /**
     * Waits (under the reload lock, which no event loop takes) until every kept listener's loops
     * have the new settings, so that a reload that answered is in force for the next flow. Returns
     * "" then, or what the answer should add when a loop has not taken them within the bound: the
     * reload is committed either way, and that loop takes them when it runs its queue.
     */
    private static String settled(List<CompletableFuture<Void>> applied) {
        try {
            CompletableFuture.allOf(applied.toArray(CompletableFuture[]::new)).get(RELOAD_SETTLE.toMillis(), TimeUnit.MILLISECONDS);
            return "";
        } catch (TimeoutException e) {
            LOG.log(System.Logger.Level.WARNING, "reload: an event loop has not taken the new settings after "
                    + RELOAD_SETTLE.toSeconds() + " s; it takes them when it runs its queue");
            return "; an event loop has not taken the new settings yet (after " + RELOAD_SETTLE.toSeconds() + " s)";
        } catch (ExecutionException e) {
            // Logged by the listener, naming it; that loop goes on with part of its old settings.
            return "; an event loop could not take the new settings: " + e.getCause();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "; interrupted while the event loops took the new settings";
        }
    }

    private ReloadOutcome outcome(ReloadOutcome o, boolean ok) {
        switch (o) {
            case Failed f -> LOG.log(System.Logger.Level.WARNING, "reload failed; the running config stays: " + f.message());
            case Reloaded r -> {
            }
            case Rejected r -> {
            }
        }
        for (LifecycleHooks h : hooks) {
            h.reloaded(this, config, ok);
        }
        return o;
    }

    // ---- admin operations (AdminActions) -------------------------------------------------

    @Override
    public Readiness readiness() {
        return admin.readiness();
    }

    @Override
    public Liveness liveness() {
        return admin.liveness();
    }

    @Override
    public List<GroupStatus> targets() {
        return admin.targets();
    }

    @Override
    public void replaceTargets(String group, List<TargetSpec> targets) throws AdminException {
        admin.replaceTargets(group, targets);
    }

    @Override
    public void drain(String group, HostPort address) throws AdminException {
        admin.drain(group, address);
    }

    @Override
    public void drainBalancer() {
        admin.drainBalancer();
    }

    @Override
    public LoadReport load() {
        return admin.load();
    }

    // ---- shutdown ------------------------------------------------------------------------

    /**
     * Stops taking new flows, lets open TCP connections finish for up to {@code grace}, then closes
     * whatever is left and stops the event loops. UDP sessions end at once: UDP has no end of
     * stream to wait for.
     */
    public void shutdown(Duration grace) {
        InheritedSockets untaken;
        changes.lock();
        try {
            if (stopping) {
                return;
            }
            stopping = true;
            untaken = unbound;
            unbound = null;
            hooks.forEach(h -> h.stopping(this));
        } finally {
            changes.unlock();
        }
        if (untaken != null) {
            // Stopped before bindListeners: the passed sockets are ours to close.
            closeUntaken(untaken, "closing it");
        }
        List<CompletableFuture<Void>> stops = new ArrayList<>();
        for (BoundListener b : bound) {
            stops.add(b.stopAccepting());
        }
        awaitShutdownStep(CompletableFuture.allOf(stops.toArray(CompletableFuture[]::new)), "stopping the listeners");
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
            if (!grace.isZero()) {
                // Without a grace period (close(): the start-up warm-up's private balancer, a
                // failed start) closing what is open is the plan, not news.
                LOG.log(System.Logger.Level.WARNING, "grace period over: closing " + open + " open flow(s)");
            }
            List<CompletableFuture<Void>> closes = new ArrayList<>();
            for (Listener l : listeners()) {
                closes.add(l.closeFlows().toCompletableFuture());
            }
            for (BoundListener b : retired) {
                for (Listener l : b.sockets()) {
                    closes.add(l.closeFlows().toCompletableFuture());
                }
            }
            awaitShutdownStep(CompletableFuture.allOf(closes.toArray(CompletableFuture[]::new)), "closing the open flows");
        }
        control.shutdownNow();
        awaitLoopsStopped();
        // After the loops: the records of the flows they ended (shutdown) are written before it closes.
        flowLog.close();
    }

    /**
     * How long a shutdown waits for the event loops at each step (listeners stopped, open flows
     * closed, loops ended) before it goes on without them: a stuck loop must not keep the process
     * from stopping, nor a takeover's old process from exiting.
     */
    static final Duration SHUTDOWN_STEP = Duration.ofSeconds(10);

    private static void awaitShutdownStep(CompletableFuture<Void> step, String what) {
        BoundedWait.await(step, SHUTDOWN_STEP, LOG, "shutdown: " + what);
    }

    /** Stops the event loops, waiting at most {@link #SHUTDOWN_STEP}; a loop still running is named, with where it is. */
    private void awaitLoopsStopped() {
        LoopStop.stop(loops, Duration.ofSeconds(2), SHUTDOWN_STEP, LOG, "shutdown: event loop(s) still running");
    }

    /** The process's flow log: SIGUSR1 reopens it, metrics read its counts. */
    public FlowLog flowLog() {
        return flowLog;
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
}
