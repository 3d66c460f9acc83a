package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.channel.unix.UnixChannel;
import io.netty.channel.socket.DatagramPacket;
import io.wavelb.core.affinity.ContentRouter;
import io.wavelb.core.affinity.Route;
import io.wavelb.core.session.ClientAddress;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.EnumMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The intake of one event loop's UDP listener socket: drops an oversize datagram, asks the
 * {@link ContentRouter} whether the datagram names its target, finds or opens the client's
 * session (moving it when the target went unhealthy or the datagram names another one) and hands
 * the datagram to the loop's {@link UdpSessions}, which owns everything after that; at the end of
 * the read batch, flushes the upstream sockets written to. Every method runs on the loop.
 */
final class UdpLoopHandler extends ChannelInboundHandlerAdapter implements ListenerIntake.Receiver {

    private static final System.Logger LOG = System.getLogger(UdpLoopHandler.class.getName());

    /** The counter of each route, indexed by ordinal; null where nothing is counted. */
    private static final ListenerCounter[] ROUTE_COUNTERS = routeCounters();

    private final UdpListener listener;
    private final Upstreams.Factory upstreams;
    private UdpLoopSettings settings;
    private ContentRouter<Target> router;
    private GroupTargets targets;
    private Channel channel;
    private EventLoop loop;
    private LoopCounters counters;
    private UdpSessions sessions;
    /** Reads and writes the listener socket with wavelb's own batched calls; null where Netty's channel does. */
    private ListenerIntake intake;
    /**
     * Tries again, every {@link #RESIZE_RETRY_SECONDS}, to grow the receive area that a reload's
     * larger {@code max_datagram_size} needed and the memory budget could not give; null when none is pending.
     */
    private ScheduledFuture<?> resizeRetry;
    static final long RESIZE_RETRY_SECONDS = 1;
    /** The sender of the datagram Netty's channel read, as the session table's key; reused. */
    private final ClientAddress probe = ClientAddress.probe();

    UdpLoopHandler(UdpListener listener, UdpLoopSettings settings, Upstreams.Factory upstreams) {
        this.listener = listener;
        this.upstreams = upstreams;
        this.settings = settings;
        this.router = ContentRouter.of(settings.udp());
        this.targets = new GroupTargets(settings.group());
    }

    private static ListenerCounter[] routeCounters() {
        EnumMap<Route, ListenerCounter> counters = new EnumMap<>(Route.class);
        for (Route r : Route.values()) {
            counters.put(r, switch (r) {
                case NONE -> null;
                case QUIC_CID -> ListenerCounter.QUIC_CID;
                case QUIC_FALLBACK -> ListenerCounter.QUIC_FALLBACK;
                case QUIC_UNROUTABLE -> ListenerCounter.QUIC_UNROUTABLE;
                case QUIC_UNKNOWN_SERVER_ID -> ListenerCounter.QUIC_UNKNOWN_SERVER_ID;
                case STUN_SERVER_ID -> ListenerCounter.STUN_SERVER_ID;
                case STUN_UFRAG_HASH -> ListenerCounter.STUN_UFRAG_HASH;
                case STUN_NO_USERNAME -> ListenerCounter.STUN_NO_USERNAME;
            });
        }
        return counters.values().toArray(ListenerCounter[]::new);
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        loop = channel.eventLoop();
        counters = listener.stats().forCurrentLoop();
        intake = openIntake();
        ClientReplies replies = intake != null ? intake.replies() : new ChannelReplies(channel, counters);
        sessions = new UdpSessions(listener, settings, loop, channel.alloc(), counters, replies, upstreams);
        sessions.start();
        ctx.fireChannelActive();
    }

    /**
     * The listener socket read and written by wavelb's own calls, where the transport offers them:
     * the channel stops reading for good and the intake reads as the channel would have (not yet,
     * if the channel was adopted paused). Null, and the channel reads, where it cannot be opened.
     */
    private ListenerIntake openIntake() {
        if (!listener.transport().nativeUdpListener() || !(loop instanceof IoEventLoop io)
                || !(channel instanceof UnixChannel unix)) {
            return null;
        }
        boolean read = channel.config().isAutoRead();
        channel.config().setAutoRead(false);
        try {
            return ListenerIntake.open(io, unix.fd().intValue(), this, listener, counters, channel.alloc(),
                    listener.transport().datagramReceiveBatch(), settings.maxDatagramSize(), read);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "listener '" + listener.config().name()
                    + "': cannot read its UDP socket with batched calls (" + e.getMessage() + "); Netty's channel reads it");
            channel.config().setAutoRead(read);
            return null;
        }
    }

    /** Starts or stops reading the listener socket (a takeover's freeze, thaw, or resume). */
    void reading(boolean read) {
        if (intake != null) {
            intake.reading(read);
        } else {
            channel.config().setAutoRead(read);
        }
    }

    /** The socket now belongs to another process: this loop lets go of its copy before the channel's is closed. */
    void letGo() {
        stopResizeRetry();
        if (intake != null) {
            intake.close();
        }
    }

    /** A reload changed the listener (or its bound port became known): what comes next follows {@code newSettings}. */
    void settingsChanged(UdpLoopSettings newSettings) {
        UdpLoopSettings before = settings;
        settings = newSettings;
        if (!newSettings.udp().affinity().equals(before.udp().affinity())
                || !newSettings.udp().quicLb().equals(before.udp().quicLb())) {
            // A codec of our own (it is not thread-safe), for the new format.
            router = ContentRouter.of(newSettings.udp());
        }
        if (newSettings.group() != before.group()) {
            targets = new GroupTargets(newSettings.group());
        }
        if (sessions != null) {
            sessions.settings(newSettings);
            listener.transport().configureDatagramReceive(channel.config(), newSettings.maxDatagramSize());
            if (intake != null) {
                stopResizeRetry();
                try {
                    intake.resize(newSettings.maxDatagramSize());
                } catch (OutOfMemoryError e) {
                    // The old area stays: larger datagrams are dropped as oversize until the retry
                    // (or a later reload) finds the memory. Counted once, here, not per retry.
                    sessions.noMemory(e);
                    resizeRetry = loop.scheduleAtFixedRate(this::retryResize, RESIZE_RETRY_SECONDS, RESIZE_RETRY_SECONDS,
                            TimeUnit.SECONDS);
                }
            }
        }
    }

    /** The retry of a receive area that did not fit: grown once the budget has room, then no more tries. */
    private void retryResize() {
        if (intake == null || !channel.isOpen()) {
            stopResizeRetry();
            return;
        }
        int size = settings.maxDatagramSize();
        try {
            intake.resize(size);
        } catch (OutOfMemoryError stillNoRoom) {
            return;
        }
        stopResizeRetry();
        LOG.log(System.Logger.Level.INFO, "listener '" + listener.config().name() + "': the receive area for datagrams of up to "
                + size + " bytes fits the memory budget now: udp.max_datagram_size is in force");
    }

    private void stopResizeRetry() {
        if (resizeRetry != null) {
            resizeRetry.cancel(false);
            resizeRetry = null;
        }
    }

    /** The largest datagram the listener socket's receive area takes now; the channel's setting where there is no area. */
    int receiveAreaDatagramSize() {
        return intake != null ? intake.maxDatagramSize() : settings.maxDatagramSize();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        ByteBuf data = packet.content();
        // The receive buffer is one byte larger than the limit, so a longer datagram shows up as
        // size > limit instead of being silently truncated by the kernel and forwarded corrupt.
        if (data.readableBytes() > settings.maxDatagramSize()) {
            packet.release();
            oversize();
            return;
        }
        InetSocketAddress sender = packet.sender();
        receive(probe.set(sender), sender, data, packet.recipient());
    }

    @Override
    public void received(ClientAddress sender, ByteBuf data) {
        // The address the client sent to is the listener's own: a bound one's, or, on a wildcard
        // one, unknown, as it is on Netty's path (no IP_RECVORIGDSTADDR); PROXY v2 then names the bound address.
        receive(sender, null, data, null);
    }

    @Override
    public void oversize() {
        counters.increment(ListenerCounter.DROPPED_OVERSIZE);
    }

    @Override
    public void noMemory(OutOfMemoryError e) {
        sessions.noMemory(e);
    }

    @Override
    public void readComplete() {
        sessions.flush();
    }

    /**
     * A client datagram (ownership of {@code data} passes): routed by its content if the listener
     * reads it, then to the client's session, opened if it has none.
     *
     * @param key    the client, as the session table keys it (a probe: valid during the call)
     * @param client the same address as an object, when the read made one; else made here for a new session
     */
    private void receive(ClientAddress key, InetSocketAddress client, ByteBuf data, InetSocketAddress recipient) {
        int size = data.readableBytes();
        // Content-aware affinity: the datagram itself may name its target, whatever its address.
        Target routed = null;
        Route route = Route.NONE;
        if (router.readsContent()) {
            data.getBytes(data.readerIndex(), router.scratch(), 0, router.prefixLength(size));
            route = router.route(size, targets);
            ListenerCounter counter = ROUTE_COUNTERS[route.ordinal()];
            if (counter != null) {
                counters.increment(counter);
            }
            routed = router.target();
        }
        UdpSession session = sessions.get(key);
        if (session != null && routed != null) {
            if (session.target != routed) {
                sessions.close(session, ListenerCounter.CLOSED_REROUTED);
                session = null;
            }
        } else if (session != null && session.target.shouldRepick()) {
            // The target went unhealthy (a draining one keeps its flows): this flow moves now,
            // on its next datagram, rather than blackholing until it idles out.
            sessions.close(session, ListenerCounter.CLOSED_TARGET_UNHEALTHY);
            session = null;
        }
        if (session == null) {
            session = sessions.open(client != null ? client : key.toSocketAddress(), key, recipient, routed, route);
            if (session == null) {
                data.release();
                return;
            }
        }
        counters.increment(ListenerCounter.DATAGRAMS_RX);
        counters.add(ListenerCounter.BYTES_RX, size);
        sessions.forward(session, data, System.nanoTime());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        readComplete();
    }

    /** The target's deregistration delay ran out: end its sessions on this loop. */
    void purge(Target target) {
        sessions.purge(target);
    }

    /** The listener is going away but its sockets close later: end its sessions now, as evicted. */
    void evictAll() {
        sessions.closeAll(ListenerCounter.CLOSED_EVICTED);
    }

    EventLoop loop() {
        return loop;
    }

    /** This loop's batched reader of the listener socket; null where Netty's channel reads it. */
    ListenerIntake intake() {
        return intake;
    }

    /** This loop's sessions; for tests. */
    UdpSessions sessions() {
        return sessions;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        letGo();
        sessions.stop();
        sessions.closeAll(ListenerCounter.CLOSED_SHUTDOWN);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof OutOfMemoryError) {
            // No receive buffer within the memory budget: the datagrams stay in the kernel queue
            // (dropped there if it fills); the socket and the loop carry on.
            sessions.noMemory(cause);
            return;
        }
        // An unconnected UDP socket has no per-peer errors worth acting on; keep serving.
        listener.warnRateLimited("UDP listener socket error: " + cause);
    }

    /** The router's view of the listener's target group. */
    private record GroupTargets(TargetGroup group) implements ContentRouter.Targets<Target> {

        @Override
        public Target byServerId(byte[] serverId, int length) {
            return group.byServerId(serverId, length);
        }

        @Override
        public Target byUfragPrefix(byte[] text, int offset, int length) {
            return group.byUfragPrefix(text, offset, length);
        }

        @Override
        public Target byHash(long hash) {
            return group.peek(hash);
        }
    }
}
