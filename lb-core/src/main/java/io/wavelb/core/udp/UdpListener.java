package io.wavelb.core.udp;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.unix.UnixChannel;
import io.wavelb.core.linux.LocalPorts;
import io.wavelb.core.linux.Sysctl;
import io.wavelb.core.listener.Descriptors;
import io.netty.util.concurrent.EventExecutor;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.linux.LibC;
import io.wavelb.core.listener.AbstractListener;
import io.wavelb.core.listener.SocketSource;
import io.wavelb.core.session.ClientCounts;
import io.wavelb.core.session.FlowRateLimiter;
import io.wavelb.core.session.SessionBudget;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transport.Transport;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import java.util.function.ToIntFunction;

/**
 * A UDP listener: one SO_REUSEPORT socket per event loop on the same address, so the kernel's
 * 4-tuple hash keeps every client on one loop and each loop's session table stays private to it.
 * Without SO_REUSEPORT (NIO) there is one socket on one loop. On inherited sockets (systemd socket
 * activation) it has as many as were passed, usually one, read by one loop.
 */
public final class UdpListener extends AbstractListener {

    private static final System.Logger LOG = System.getLogger(UdpListener.class.getName());

    private final SessionBudget budget;
    /** Sessions per client, for udp.max_sessions_per_client; shared by the loops (a client's flows land on several). */
    private final ClientCounts clients = new ClientCounts();
    /** New sessions per client and second, for new_flows_per_client; shared by the loops. */
    private final FlowRateLimiter flowRates = new FlowRateLimiter();
    /** Copy-on-write: the admin thread reads it at scrape time ({@link #kernelDrops}). */
    private final List<Channel> channels = new CopyOnWriteArrayList<>();
    private final List<UdpLoopHandler> handlers = new CopyOnWriteArrayList<>();
    private final Upstreams.Factory upstreams;

    public UdpListener(ListenerConfig config, TargetGroup group, Transport transport, ListenerStats stats) {
        this(config, group, transport, stats, LoopUpstreams.factory(transport));
    }

    /** With the upstream sockets {@code upstreams} makes: the transport's in production, a test's own in handler tests. */
    UdpListener(ListenerConfig config, TargetGroup group, Transport transport, ListenerStats stats,
                Upstreams.Factory upstreams) {
        super(config, group, transport, stats, LOG);
        this.budget = new SessionBudget(sessionLimit(config, transport, Runtime.getRuntime().maxMemory(), true));
        this.upstreams = upstreams;
    }

    /**
     * {@code udp.max_sessions}, except where each session's datagram channel holds much heap
     * (io_uring, {@link Transport#udpSessionHeapBytes()}), where it is capped so the sessions fit in
     * half the heap: past that the JVM would die of OutOfMemoryError, where a counted drop
     * ({@code session_cap}) is the promise.
     */
    static int sessionLimit(ListenerConfig config, Transport transport, long maxHeapBytes, boolean warn) {
        int configured = config.udp().maxSessions();
        long perSession = transport.udpSessionHeapBytes();
        if (perSession == 0) {
            return configured;
        }
        int fits = (int) Math.max(1, Math.min(Integer.MAX_VALUE, maxHeapBytes / 2 / perSession));
        if (configured <= fits) {
            return configured;
        }
        if (warn) {
            LOG.log(System.Logger.Level.WARNING, "listener '" + config.name() + "': on " + transport.name()
                    + " each UDP session holds about " + perSession / 1024 + " KiB of heap (Netty preallocates 512 message headers per datagram"
                    + " socket), so udp.max_sessions " + configured + " is capped at " + fits + " for this "
                    + maxHeapBytes / (1024 * 1024) + " MiB heap; use runtime.transport epoll for UDP at scale");
        }
        return fits;
    }

    /**
     * Binds one socket per event loop. The first bind fixes the port (it may be 0 in tests), the
     * others join it. Blocks until bound; throws with the address named when it cannot bind.
     */
    public void bind(EventLoopGroup loops, InetSocketAddress address) throws Exception {
        open(loops, new SocketSource.Fresh(address));
    }

    /**
     * Uses inherited UDP sockets {@code fds}, already bound, instead of binding: socket {@code i}
     * is read by event loop {@code i} modulo the loops, with the same handlers and options as a
     * fresh bind; the listener's address is theirs. On failure every one of {@code fds} is closed.
     *
     * @param configured the {@code listen:} address, for errors
     */
    public void bind(EventLoopGroup loops, InetSocketAddress configured, List<Integer> fds) throws Exception {
        bind(loops, configured, fds, false);
    }

    /** As {@link #bind(EventLoopGroup, InetSocketAddress, List)}; {@code paused}: not read until {@link #resumeReading}. */
    public void bind(EventLoopGroup loops, InetSocketAddress configured, List<Integer> fds, boolean paused) throws Exception {
        open(loops, new SocketSource.Inherited(fds, configured, paused));
    }

    private void open(EventLoopGroup loops, SocketSource source) throws Exception {
        ListenerConfig config = config();
        Transport transport = transport();
        List<EventLoop> all = new ArrayList<>();
        for (EventExecutor e : loops) {
            all.add((EventLoop) e);
        }
        source.checkFree("udp", config.name());
        InetSocketAddress bindTo = source.address();
        int members = source.members(all.size(), transport.supportsReusePort());
        for (int member = 0; member < members; member++) {
            // Until the port is known (bound to port 0, or inherited), the first loop's settings carry
            // the configured address; every loop gets the bound address below, before bind returns.
            UdpLoopHandler handler = new UdpLoopHandler(this, UdpLoopSettings.of(config, group(), bindTo), upstreams);
            int maxDatagramSize = config.udp().maxDatagramSize();
            Bootstrap b = new Bootstrap()
                    .group(all.get(member % all.size()))
                    .handler(new ChannelInitializer<DatagramChannel>() {
                        @Override
                        protected void initChannel(DatagramChannel ch) {
                            transport.configureDatagramReceive(ch.config(), maxDatagramSize);
                            ch.pipeline().addLast(handler);
                        }
                    });
            ChannelFuture f;
            try {
                f = open(b, source, member, bindTo, transport, transport::newDatagramChannel,
                        transport::adoptDatagramChannel);
            } catch (IOException | RuntimeException e) {
                closeChannels();
                source.closeUnused(member, true);
                throw source.failure("udp", config.name(), member, bindTo, e);
            }
            Throwable failed = openFailure(f);
            if (failed != null) {
                closeChannels();
                source.closeUnused(member, false);
                throw source.failure("udp", config.name(), member, bindTo, failed);
            }
            channels.add(f.channel());
            applyReceiveBuffer((DatagramChannel) f.channel(), config.udp().receiveBuffer(), channels.size() == 1);
            handlers.add(handler);
            if (member == 0) {
                checkSessionReceiveBuffer(config.udp().sessionReceiveBuffer());
                checkLocalPorts(config);
                bindTo = source.learned(bindTo, (InetSocketAddress) f.channel().localAddress());
            }
        }
        boundTo(bindTo);
        stats().kernelDrops(this::kernelDrops);
        if (!bindTo.equals(source.address())) {
            try {
                pushSettings(UdpLoopSettings.of(config, group(), bindTo), true);
            } catch (IllegalStateException e) {
                closeChannels();
                throw e;
            }
        }
        if (transport.datagramReceiveBatch() > 1) {
            LOG.log(System.Logger.Level.DEBUG, "listener '" + config.name() + "': up to "
                    + transport.datagramReceiveBatch() + " datagrams per recvmmsg");
        }
    }

    // ---- takeover -----------------------------------------------------------------------------

    /** Each member socket's descriptor, in member order: what a takeover sends. */
    public List<Integer> memberDescriptors() {
        return descriptors(channels);
    }

    /** A takeover's snapshot of every member's sessions (each on its loop); this listener serves on. */
    public CompletableFuture<List<FrozenSession>> snapshot(LongSupplier ids) {
        List<CompletableFuture<List<FrozenSession>>> each = new ArrayList<>();
        for (int i = 0; i < handlers.size(); i++) {
            int member = i;
            UdpLoopHandler h = handlers.get(i);
            each.add(CompletableFuture.supplyAsync(() -> h.sessions().snapshot(config().name(), member, System.nanoTime(), ids),
                    channels.get(i).eventLoop()));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<FrozenSession> all = new ArrayList<>();
            each.forEach(f -> all.addAll(f.join()));
            return all;
        });
    }

    /** What changed since the snapshot: the ids of sessions that ended, and those opened. */
    public record Change(List<Long> closed, List<FrozenSession> opened) {
    }

    /**
     * A takeover: each member stops reading its socket (the kernel queues what arrives) and its
     * loop freezes its sessions. Completes with what changed since the snapshot.
     */
    public CompletableFuture<Change> freeze(LongSupplier ids) {
        List<CompletableFuture<UdpSessions.Change>> each = new ArrayList<>();
        for (int i = 0; i < handlers.size(); i++) {
            int member = i;
            Channel ch = channels.get(i);
            UdpLoopHandler h = handlers.get(i);
            each.add(CompletableFuture.supplyAsync(() -> {
                h.reading(false);
                return h.sessions().freeze(config().name(), member, System.nanoTime(), ids);
            }, ch.eventLoop()));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<Long> closed = new ArrayList<>();
            List<FrozenSession> opened = new ArrayList<>();
            each.forEach(f -> {
                closed.addAll(f.join().closed());
                opened.addAll(f.join().opened());
            });
            return new Change(closed, opened);
        });
    }

    /** The new process holds the sockets: the frozen sessions end here as handed over, then each member socket is let go. */
    public CompletableFuture<Void> handedOver() {
        List<CompletableFuture<Void>> each = new ArrayList<>();
        for (int i = 0; i < handlers.size(); i++) {
            Channel ch = channels.get(i);
            UdpLoopHandler h = handlers.get(i);
            each.add(CompletableFuture.runAsync(() -> {
                h.sessions().handedOver();
                h.letGo();
            }, ch.eventLoop()).thenCompose(v -> handOver(ch)));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    }

    /** The takeover failed: sessions and sockets are read here again. */
    public CompletableFuture<Void> thaw() {
        List<CompletableFuture<Void>> each = new ArrayList<>();
        for (int i = 0; i < handlers.size(); i++) {
            Channel ch = channels.get(i);
            UdpLoopHandler h = handlers.get(i);
            each.add(CompletableFuture.runAsync(() -> {
                h.sessions().thaw();
                h.reading(true);
            }, ch.eventLoop()));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    }

    /** The takeover ended after the snapshot and before the freeze: the offered sessions are this process's alone again. */
    public CompletableFuture<Void> withdraw() {
        List<CompletableFuture<Void>> each = new ArrayList<>();
        for (int i = 0; i < handlers.size(); i++) {
            UdpLoopHandler h = handlers.get(i);
            each.add(CompletableFuture.runAsync(() -> h.sessions().withdraw(), channels.get(i).eventLoop()));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new));
    }

    /**
     * The new process, the snapshot: takes the sessions into the loops of the member sockets that
     * had them (the kernel's SO_REUSEPORT hash sends each client to that socket here too), without
     * reading their sockets yet. Completes with how many were taken; the sockets of the rest are closed.
     */
    public CompletableFuture<Integer> prepare(List<FrozenSession> sessions) {
        return perMember(sessions, (h, s, now) -> h.sessions().prepare(s.state(), s.fd(), now), null);
    }

    /**
     * The new process, in the pause: the snapshot's sessions that ended are dropped, those opened
     * since are taken, and every session's socket is read from now on. Completes with how many
     * sessions this listener took over in all.
     */
    public CompletableFuture<Integer> complete(Collection<Long> closed, List<FrozenSession> opened) {
        return perMember(opened, (h, s, now) -> h.sessions().adopt(s.state(), s.fd(), now), h -> {
            h.sessions().dropPrepared(closed);
            return h.sessions().activate();
        });
    }

    private interface Take {
        boolean take(UdpLoopHandler h, FrozenSession s, long nowNanos);
    }

    /** Runs {@code before} (if any) then {@code take} for each of a member's sessions, on that member's loop. */
    private CompletableFuture<Integer> perMember(List<FrozenSession> sessions, Take take,
                                                 ToIntFunction<UdpLoopHandler> before) {
        List<List<FrozenSession>> byMember = new ArrayList<>();
        for (int i = 0; i < handlers.size(); i++) {
            byMember.add(new ArrayList<>());
        }
        int misplaced = 0;
        for (FrozenSession s : sessions) {
            int member = s.state().member();
            if (member < 0 || member >= handlers.size()) {
                Descriptors.close(s.fd());
                misplaced++;
                continue;
            }
            byMember.get(member).add(s);
        }
        if (misplaced > 0) {
            LOG.log(System.Logger.Level.WARNING, "listener '" + config().name() + "': " + misplaced
                    + " handed-over UDP session(s) named a socket this listener does not have; closed");
        }
        List<CompletableFuture<Integer>> each = new ArrayList<>();
        for (int i = 0; i < handlers.size(); i++) {
            List<FrozenSession> mine = byMember.get(i);
            UdpLoopHandler h = handlers.get(i);
            each.add(CompletableFuture.supplyAsync(() -> {
                int taken = before == null ? 0 : before.applyAsInt(h);
                long now = System.nanoTime();
                for (FrozenSession s : mine) {
                    if (take.take(h, s, now)) {
                        taken++;
                    }
                }
                return taken;
            }, channels.get(i).eventLoop()));
        }
        return CompletableFuture.allOf(each.toArray(CompletableFuture[]::new))
                .thenApply(v -> each.stream().mapToInt(CompletableFuture::join).sum());
    }

    /** Starts reading sockets adopted paused (a takeover, once the sessions are in). */
    public void resumeReading() {
        for (int i = 0; i < handlers.size(); i++) {
            UdpLoopHandler h = handlers.get(i);
            channels.get(i).eventLoop().execute(() -> h.reading(true));
        }
    }

    /**
     * Hands {@code settings} to every loop's handler, on its loop; waits for them when {@code wait}.
     * Returns what completes once every loop has them.
     */
    private CompletableFuture<Void> pushSettings(UdpLoopSettings settings, boolean wait) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (int i = 0; i < handlers.size(); i++) {
            UdpLoopHandler h = handlers.get(i);
            // The channel's loop: the handler learns its own in channelActive, which may not have run yet.
            done.add(CompletableFuture.runAsync(() -> h.settingsChanged(settings), channels.get(i).eventLoop())
                    .whenComplete((ok, failed) -> {
                        if (failed != null) {
                            // Not dropped unseen: that loop goes on with part of its old settings.
                            LOG.log(System.Logger.Level.WARNING, "listener '" + config().name()
                                    + "': an event loop could not take the new settings: " + failed);
                        }
                    }));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(done.toArray(CompletableFuture[]::new));
        if (wait) {
            try {
                all.get(SETTLE_SECONDS, TimeUnit.SECONDS);
            } catch (TimeoutException e) {
                throw new IllegalStateException("listener '" + config().name() + "': its event loops did not take the"
                        + " bound address within " + SETTLE_SECONDS + " s (a loop stuck, or bind called on one of them)");
            } catch (ExecutionException e) {
                throw new IllegalStateException("listener '" + config().name() + "': an event loop could not take the"
                        + " bound address: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("listener '" + config().name() + "': interrupted while its event loops"
                        + " took the bound address");
            }
        }
        return all;
    }

    /** How long a bind waits for its loops to take the address it learned (port 0): a bound, never forever. */
    private static final long SETTLE_SECONDS = 10;

    /**
     * What the kernel dropped on this listener's open sockets ({@link ListenerStats#kernelDrops}),
     * read at scrape time from another thread: a socket closed meanwhile is skipped (its descriptor
     * number could name another socket a moment later, so the count is read only while Netty has it
     * open), and a transport without descriptors (NIO) counts 0.
     */
    private long kernelDrops() {
        if (LibC.unavailable().isPresent()) {
            return 0;
        }
        long sum = 0;
        for (Channel c : channels) {
            if (c instanceof UnixChannel u && c.isOpen()) {
                try {
                    sum += LibC.socketDrops(u.fd().intValue());
                } catch (IOException e) {
                    // closed meanwhile, or a kernel without the count: nothing to add
                }
            }
        }
        return sum;
    }

    private void closeChannels() {
        closeOpened(channels, LOG, config().name());
    }

    SessionBudget budget() {
        return budget;
    }

    /** The loops' handlers, one per listener socket, in bind order. */
    List<UdpLoopHandler> loopHandlers() {
        return handlers;
    }

    ClientCounts clients() {
        return clients;
    }

    FlowRateLimiter flowRates() {
        return flowRates;
    }

    /** Each loop's largest datagram its receive area takes now, read on the loop: for tests. */
    List<Integer> receiveAreaDatagramSizes() throws Exception {
        List<Integer> sizes = new ArrayList<>();
        for (int i = 0; i < handlers.size(); i++) {
            UdpLoopHandler h = handlers.get(i);
            sizes.add(channels.get(i).eventLoop().submit(h::receiveAreaDatagramSize).get(5, TimeUnit.SECONDS));
        }
        return sizes;
    }

    /** SO_RCVBUF of each listener socket as the kernel reports it (doubled from what was set). */
    public List<Integer> receiveBufferSizes() {
        List<Integer> sizes = new ArrayList<>();
        for (Channel c : channels) {
            sizes.add(((DatagramChannel) c).config().getReceiveBufferSize());
        }
        return sizes;
    }

    /**
     * Sets SO_RCVBUF when configured. Linux silently caps it at net.core.rmem_max, so the size the
     * socket really got is read back and a shortfall is said once, with the sysctl to raise.
     */
    private void applyReceiveBuffer(DatagramChannel channel, int bytes, boolean report) {
        if (bytes <= 0) {
            return;
        }
        channel.config().setReceiveBufferSize(bytes);
        // The kernel doubles the value for its bookkeeping and reports the doubled size.
        int got = channel.config().getReceiveBufferSize() / 2;
        if (report && got < bytes) {
            LOG.log(System.Logger.Level.WARNING, "listener '" + config().name() + "': udp.receive_buffer " + bytes
                    + " capped by the kernel to " + got + " bytes; raise net.core.rmem_max (sysctl -w net.core.rmem_max="
                    + bytes + ") to get it");
        }
    }

    /**
     * Each session's socket takes a port of the kernel's ephemeral range, so the range, not
     * {@code udp.max_sessions}, is the bound when it is the smaller: said once at start and when a
     * reload changes the cap. Not for a transparent listener, whose sessions bind the client's port.
     */
    private void checkLocalPorts(ListenerConfig config) {
        if (config.transparent()) {
            return;
        }
        LocalPorts.current().filter(ports -> ports.count() < config.udp().maxSessions()).ifPresent(ports ->
                LOG.log(System.Logger.Level.INFO, "listener '" + config.name() + "': at most " + ports.count()
                        + " UDP sessions at once on this host, fewer than udp.max_sessions " + config.udp().maxSessions()
                        + ": each session's socket takes a local port of net.ipv4.ip_local_port_range (" + ports
                        + "), shared with every other UDP socket of the host; past it new sessions are dropped as"
                        + " no_local_port (wavelb_udp_local_ports)"));
    }

    /**
     * Sessions' sockets get {@code udp.session_receive_buffer} when they open, and Linux caps it at
     * net.core.rmem_max as silently as the listener's: read from the sysctl once here, a shortfall is
     * said once, not per session.
     */
    private void checkSessionReceiveBuffer(int bytes) {
        if (bytes <= 0) {
            return;
        }
        long max;
        try {
            max = Sysctl.read("net.core.rmem_max").map(Long::parseLong).orElse(Long.MAX_VALUE);
        } catch (NumberFormatException e) {
            return; // nothing to compare with
        }
        if (max < bytes) {
            LOG.log(System.Logger.Level.WARNING, "listener '" + config().name() + "': udp.session_receive_buffer " + bytes
                    + " will be capped by the kernel to " + max + " bytes; raise net.core.rmem_max (sysctl -w net.core.rmem_max="
                    + bytes + ") to get it");
        }
    }


    /** Completes once every loop has the new settings (the loop's copy, which new sessions take). */
    @Override
    public CompletableFuture<Void> update(ListenerConfig newConfig, TargetGroup newGroup) {
        UdpSettings before = config().udp();
        super.update(newConfig, newGroup);
        if (newConfig.udp().receiveBuffer() != before.receiveBuffer()) {
            for (int i = 0; i < channels.size(); i++) {
                applyReceiveBuffer((DatagramChannel) channels.get(i), newConfig.udp().receiveBuffer(), i == 0);
            }
        }
        if (newConfig.udp().sessionReceiveBuffer() != before.sessionReceiveBuffer()) {
            checkSessionReceiveBuffer(newConfig.udp().sessionReceiveBuffer());
        }
        if (newConfig.udp().maxSessions() != before.maxSessions()) {
            checkLocalPorts(newConfig);
        }
        budget.limit(sessionLimit(newConfig, transport(), Runtime.getRuntime().maxMemory(),
                newConfig.udp().maxSessions() != before.maxSessions()));
        return pushSettings(UdpLoopSettings.of(newConfig, newGroup, localAddress()), false);
    }

    /** Ends the sessions pinned to {@code target} on every loop (its deregistration delay is over). */
    public void purge(Target target) {
        for (UdpLoopHandler h : handlers) {
            h.loop().execute(() -> h.purge(target));
        }
    }

    /** UDP has nothing to drain at the socket level: stopping closes the sockets and every session. */
    @Override
    public CompletionStage<Void> stopAccepting() {
        return closeFlows();
    }

    /** A reload removed this listener: its sessions end as evicted, then its sockets close. */
    public CompletionStage<Void> evict() {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (UdpLoopHandler h : handlers) {
            done.add(CompletableFuture.runAsync(h::evictAll, h.loop()));
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new))
                .thenCompose(v -> closeFlows());
    }

    @Override
    public int activeFlows() {
        return budget.inUse();
    }

    @Override
    public CompletionStage<Void> closeFlows() {
        return closeAll(channels);
    }
}
