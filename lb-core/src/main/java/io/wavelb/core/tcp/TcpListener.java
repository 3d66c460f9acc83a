package io.wavelb.core.tcp;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.EventExecutor;
import io.wavelb.config.ListenerConfig;
import io.wavelb.core.listener.AbstractListener;
import io.wavelb.core.listener.AcceptFailures;
import io.wavelb.core.listener.SocketSource;
import io.wavelb.core.overload.OverloadState;
import io.wavelb.core.session.ClientCounts;
import io.wavelb.core.session.ClientKey;
import io.wavelb.core.session.FlowRateLimiter;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.ListenerStats;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transport.BoundedWait;
import io.wavelb.core.transport.Transport;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * A TCP listener: one SO_REUSEPORT accept socket per event loop (one in all on NIO), or the
 * inherited listening sockets it was given (systemd socket activation), usually one. An accepted
 * connection stays on the loop that accepted it, and its target connection is opened on that same
 * loop, so a flow never crosses threads.
 */
public final class TcpListener extends AbstractListener {

    private static final System.Logger LOG = System.getLogger(TcpListener.class.getName());

    private final List<Channel> acceptors = new ArrayList<>();
    /** Connections per client, for tcp.max_connections_per_client; shared by the loops. */
    private final ClientCounts clientCounts = new ClientCounts();
    /** New connections per client and second, for new_flows_per_client; shared by the loops. */
    private final FlowRateLimiter flowRates = new FlowRateLimiter();
    /** One per event loop with an accept socket (the loop its connections live on). */
    private final List<TcpLoopConnections> perLoop = new CopyOnWriteArrayList<>();
    /**
     * On epoll, what accepts for each member ({@link NativeTcpConnection}s); the server channels in
     * {@link #acceptors} then only hold the sockets, and never read. Empty on other transports.
     */
    private final List<NativeTcpAcceptor> nativeAcceptors = new CopyOnWriteArrayList<>();
    private volatile boolean closingFlows;

    public TcpListener(ListenerConfig config, TargetGroup group, Transport transport, ListenerStats stats) {
        super(config, group, transport, stats, LOG);
    }

    /** Binds one accept socket per event loop (one on NIO); blocks until bound. */
    public void bind(EventLoopGroup loops, InetSocketAddress address) throws Exception {
        open(loops, new SocketSource.Fresh(address));
    }

    /**
     * Uses inherited listening sockets {@code fds}, already bound and listening, instead of
     * binding: socket {@code i} is accepted from by event loop {@code i} modulo the loops, with the
     * same handlers and options as a fresh bind; the listener's address is theirs. On failure every
     * one of {@code fds} is closed.
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
        ListenerStats stats = stats();
        List<EventLoop> all = new ArrayList<>();
        for (EventExecutor e : loops) {
            all.add((EventLoop) e);
        }
        source.checkFree("tcp", config.name());
        InetSocketAddress bindTo = source.address();
        // On the server channel's loop, so the count goes to that loop's counters.
        AcceptFailures acceptFailures = new AcceptFailures("listener '" + config.name() + "' (tcp)", LOG, () -> null,
                () -> stats.forCurrentLoop().increment(ListenerCounter.TCP_ACCEPT_FAILURES));
        int members = source.members(all.size(), transport.supportsReusePort());
        boolean nativeRelay = transport.nativeTcpRelay();
        for (int member = 0; member < members; member++) {
            EventLoop loop = all.get(member % all.size());
            TcpLoopConnections loopConnections = new TcpLoopConnections(loop);
            ServerBootstrap b = new ServerBootstrap()
                    .group(loop, loop)
                    .option(ChannelOption.SO_BACKLOG, 4096)
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .handler(acceptFailures)
                    .childOption(ChannelOption.AUTO_READ, false)
                    .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                    // No TCP_NODELAY option: Netty's socket channels on every transport turn it on
                    // when they are created (canEnableTcpNoDelayByDefault: all but Android); setting it
                    // again is one more setsockopt per socket (benchmarks/README.md, "New TCP connections").
                    .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, TcpConnection.WATER_MARK)
                    .childOption(ChannelOption.RECVBUF_ALLOCATOR, TcpConnection.READ_ALLOCATOR)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            LoopCounters counters = stats.forCurrentLoop();
                            Admission admission = admit(ch.remoteAddress().getAddress(), counters);
                            if (!admission.admitted()) {
                                // Refused before any handler, timer or target connection is built for it.
                                ch.close();
                                return;
                            }
                            if (admission.counted() != null) {
                                ch.closeFuture().addListener(f -> clientCounts.closed(admission.counted()));
                            }
                            // One handler: the relay also counts the connection and starts its connect
                            // (TcpConnection.accepted); idle timeouts are the loop's sweep.
                            TcpConnection connection = new TcpConnection(TcpListener.this, ch, counters, loopConnections);
                            ch.pipeline().addLast(new TcpRelay(connection, true, counters));
                        }
                    });
            if (nativeRelay) {
                // The channel holds the socket; a NativeTcpAcceptor polls it (below), so it never reads.
                b.option(ChannelOption.AUTO_READ, false);
            }
            ChannelFuture f;
            try {
                // An inherited socket's backlog is the one it was given (systemd's Backlog=).
                f = open(b, source, member, bindTo, transport, new ReflectiveChannelFactory<>(transport.serverSocketChannelClass()),
                        transport::adoptServerSocketChannel);
            } catch (IOException | RuntimeException e) {
                closeAcceptors();
                source.closeUnused(member, true);
                throw source.failure("tcp", config.name(), member, bindTo, e);
            }
            Throwable failed = openFailure(f);
            if (failed != null) {
                closeAcceptors();
                source.closeUnused(member, false);
                throw source.failure("tcp", config.name(), member, bindTo, failed);
            }
            acceptors.add(f.channel());
            perLoop.add(loopConnections);
            if (nativeRelay) {
                Channel server = f.channel();
                boolean reading = !(source instanceof SocketSource.Inherited inherited && inherited.paused());
                try {
                    nativeAcceptors.add(loop.submit(() -> NativeTcpAcceptor.open(this,
                            new NativeTcpLoop((IoEventLoop) loop, stats.forCurrentLoop(), loopConnections, server.alloc()),
                            server, reading)).get(OPEN_STEP.toMillis(), TimeUnit.MILLISECONDS));
                } catch (Exception e) {
                    closeAcceptors();
                    source.closeUnused(member, false);
                    throw source.failure("tcp", config.name(), member, bindTo, e instanceof ExecutionException x ? x.getCause() : e);
                }
            }
            if (member == 0) {
                bindTo = source.learned(bindTo, (InetSocketAddress) f.channel().localAddress());
            }
        }
        boundTo(bindTo);
    }

    // ---- takeover -----------------------------------------------------------------------------

    /** Each accept socket's descriptor, in member order: what a takeover sends. */
    public List<Integer> memberDescriptors() {
        return descriptors(acceptors);
    }

    /** Whether this listener's connections are relayed natively ({@link NativeTcpConnection}), not by channels. */
    public boolean nativeRelay() {
        return !nativeAcceptors.isEmpty();
    }

    /**
     * A takeover: stop accepting (connections wait in the shared backlog); open connections go on.
     * Completes once every acceptor's loop has stopped it.
     */
    public CompletableFuture<Void> pauseAccepting() {
        return accepting(false);
    }

    /** Starts or restarts accepting: sockets adopted paused, or a failed takeover. Completes once every acceptor's loop has. */
    public CompletableFuture<Void> resumeReading() {
        return accepting(true);
    }

    private CompletableFuture<Void> accepting(boolean read) {
        if (nativeAcceptors.isEmpty()) {
            autoRead(acceptors, read);
            return CompletableFuture.completedFuture(null);
        }
        return onEachAcceptor(a -> a.reading(read));
    }

    /** The new process holds the accept sockets: each is let go here. Open connections go on here. */
    public CompletableFuture<Void> handedOver() {
        return onEachAcceptor(NativeTcpAcceptor::close).thenCompose(v ->
                CompletableFuture.allOf(acceptors.stream().map(AbstractListener::handOver).toArray(CompletableFuture[]::new)));
    }

    /** Runs {@code action} on each native acceptor's loop; completes when all have (at once when there are none). */
    private CompletableFuture<Void> onEachAcceptor(java.util.function.Consumer<NativeTcpAcceptor> action) {
        List<CompletableFuture<Void>> done = new ArrayList<>();
        for (NativeTcpAcceptor a : nativeAcceptors) {
            try {
                done.add(CompletableFuture.runAsync(() -> action.accept(a), a.loop()));
            } catch (RejectedExecutionException e) {
                // The loop has stopped: its registrations went with it.
            }
        }
        return CompletableFuture.allOf(done.toArray(CompletableFuture[]::new)).exceptionally(e -> null);
    }

    private void closeAcceptors() {
        BoundedWait.await(onEachAcceptor(NativeTcpAcceptor::close), OPEN_STEP, LOG,
                "listener '" + config().name() + "': closing the accept sockets of a failed open");
        nativeAcceptors.clear();
        closeOpened(acceptors, LOG, config().name());
        perLoop.clear();
    }

    /** A connection refused at accept (counted), or admitted, counted under a client for max_connections_per_client or not. */
    record Admission(boolean admitted, ClientKey counted) {
        static final Admission REFUSED = new Admission(false, null);
        static final Admission UNCOUNTED = new Admission(true, null);
    }

    /**
     * Whether a new connection from {@code client} may open: not while the balancer stops accepting,
     * nor past the client's {@code new_flows_per_client} or {@code tcp.max_connections_per_client};
     * a refusal is counted. A connection counted under its client gives its place back through
     * {@link #clientClosed} when it closes.
     */
    Admission admit(InetAddress client, LoopCounters counters) {
        if (overloadState().stopAccepting()) {
            counters.increment(ListenerCounter.DROPPED_OVERLOAD);
            return Admission.REFUSED;
        }
        ListenerConfig now = config();
        int perClient = now.tcp().maxConnectionsPerClient();
        ClientKey key = perClient > 0 || now.newFlowsPerClient().limited() ? ClientKey.of(client, now.clientPrefix()) : null;
        if (key != null && !flowRates.tryAcquire(key, now.newFlowsPerClient())) {
            counters.increment(ListenerCounter.DROPPED_CLIENT_LIMIT);
            return Admission.REFUSED;
        }
        if (perClient > 0) {
            if (!clientCounts.tryOpen(key, perClient)) {
                counters.increment(ListenerCounter.DROPPED_CLIENT_LIMIT);
                return Admission.REFUSED;
            }
            return new Admission(true, key);
        }
        return Admission.UNCOUNTED;
    }

    /** A connection counted under {@code client} at accept closed. */
    void clientClosed(ClientKey client) {
        clientCounts.closed(client);
    }

    /**
     * Applies an overload state to this listener's connections, on each of their loops: shortened
     * idle timeouts, and shedding {@code bytesToFreePerLoop} from each loop's biggest holders.
     */
    public void applyOverload(OverloadState state, long bytesToFreePerLoop,
                              LongConsumer freed) {
        long idle = config().tcp().idleTimeout().toNanos();
        for (TcpLoopConnections c : perLoop) {
            c.loop().execute(() -> freed.accept(c.apply(state, idle, bytesToFreePerLoop, System.nanoTime())));
        }
    }

    @Override
    public CompletionStage<Void> stopAccepting() {
        return onEachAcceptor(NativeTcpAcceptor::close).thenCompose(v -> closeAll(acceptors));
    }

    @Override
    public int activeFlows() {
        return stats().tcpConnections().get();
    }

    /** Whether {@link #closeFlows} is closing the connections: their end reason is the shutdown. */
    boolean closingFlows() {
        return closingFlows;
    }

    @Override
    public CompletionStage<Void> closeFlows() {
        closingFlows = true;
        List<CompletableFuture<Void>> loops = new ArrayList<>();
        for (TcpLoopConnections c : perLoop) {
            CompletableFuture<Void> done = new CompletableFuture<>();
            try {
                c.loop().execute(() -> {
                    c.closeClients();
                    done.complete(null);
                });
            } catch (RejectedExecutionException e) {
                done.complete(null); // the loop has stopped: its channels are closed with it
            }
            loops.add(done);
        }
        return CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new));
    }
}
