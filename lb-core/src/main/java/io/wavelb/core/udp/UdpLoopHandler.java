package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.ScheduledFuture;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.balance.FlowHash;
import io.wavelb.core.health.state.ReplyWait;
import io.wavelb.core.proxy.ProxyHeaders;
import io.wavelb.core.quic.QuicHeaders;
import io.wavelb.core.quic.QuicLbCodec;
import io.wavelb.core.stun.StunMessages;
import io.wavelb.core.session.SessionBudget;
import io.wavelb.core.session.SessionTable;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transport.Transport;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The UDP listener socket of one event loop and the sessions that loop owns. Every method runs on
 * that loop, so the session table needs no lock.
 */
final class UdpLoopHandler extends ChannelInboundHandlerAdapter {

    private static final System.Logger LOG = System.getLogger(UdpLoopHandler.class.getName());

    private final UdpListener listener;
    private final Transport transport;
    private final SessionBudget budget;
    private final SessionTable<InetSocketAddress, UdpSession> sessions = new SessionTable<>();
    /** Sessions written to in the current read batch: flushed once each in channelReadComplete. */
    private final ArrayList<UdpSession> toFlush = new ArrayList<>();
    /** Sessions unbound by max_requests that still wait for replies; swept like the table. */
    private final java.util.Set<UdpSession> unbound = new java.util.HashSet<>();
    /** Sessions that got a reply since the last sweep: the sweep reports one success per target. */
    private final ArrayList<UdpSession> answered = new ArrayList<>();
    /** Sessions waiting for a reply while their group has a udp_reply_timeout; the sweep checks them. */
    private final ArrayList<UdpSession> awaiting = new ArrayList<>();
    /** Reused by the sweep: each target answered, once, with the group it reports to. */
    private final java.util.IdentityHashMap<Target, TargetGroup> succeeded = new java.util.IdentityHashMap<>();
    private Channel listenerChannel;
    /** The listener's socket for zero-length replies, on epoll (see {@link EmptyDatagrams}); else null. */
    private io.netty.channel.unix.Socket emptyReplySender;
    /** The first bytes of the datagram being routed by content (QUIC header, STUN attributes). */
    private final byte[] scratch = new byte[Math.max(QuicHeaders.PREFIX, StunMessages.PREFIX)];
    private io.wavelb.config.QuicLbConfig quicConfig;
    private QuicLbCodec quicCodec;
    private byte[] serverId;
    private EventLoop loop;
    private LoopCounters counters;
    private ScheduledFuture<?> sweep;
    private boolean repliesNeedFlush;

    UdpLoopHandler(UdpListener listener) {
        this.listener = listener;
        this.transport = listener.transport();
        this.budget = listener.budget();
    }

    private int maxDatagramSize() {
        return listener.config().udp().maxDatagramSize();
    }

    /** The configured idle timeout: what the sweep interval follows. */
    private long configuredIdleNanos() {
        return listener.config().udp().idleTimeout().toNanos();
    }

    /**
     * The idle timeout to apply now: the configured one, shortened while the balancer is
     * overloaded (reduce_timeouts), and cut to {@link #EVICTION_FLOOR_NANOS} while the listener is
     * at {@code max_sessions} and refusing new clients — so a client locked out on this loop waits
     * a sweep, not a whole idle timeout, for sessions on other loops to make room.
     */
    private long idleNanos(long now) {
        long configured = configuredIdleNanos();
        long idle = listener.overloadState().idleNanos(configured);
        if (budget.refusedWithin(now, 2 * sweepIntervalNanos(configured))) {
            idle = Math.min(idle, Math.min(configured, EVICTION_FLOOR_NANOS));
        }
        return idle;
    }

    /**
     * At {@code max_sessions}, a session quiet for this long may give its place to a new client
     * (or its idle timeout, if shorter). A second is long for a flow that is alive (game and media
     * flows send many times a second; a DNS-like exchange is over) and short for a locked-out client.
     */
    static final long EVICTION_FLOOR_NANOS = TimeUnit.SECONDS.toNanos(1);

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        listenerChannel = ctx.channel();
        emptyReplySender = EmptyDatagrams.senderFor(listenerChannel);
        loop = ctx.channel().eventLoop();
        counters = listener.stats().forCurrentLoop();
        scheduleSweep();
        ctx.fireChannelActive();
    }

    private void scheduleSweep() {
        long every = sweepIntervalNanos(configuredIdleNanos());
        sweep = loop.scheduleAtFixedRate(this::expireIdle, every, every, TimeUnit.NANOSECONDS);
    }

    /** A reload changed settings: re-arm the sweep for the new idle timeout. */
    void settingsChanged() {
        if (sweep != null) {
            sweep.cancel(false);
            scheduleSweep();
        }
        listenerChannel.config().setRecvByteBufAllocator(listener.receiveAllocator(maxDatagramSize()));
        if (listener.batchedReceive()) {
            listenerChannel.config().setOption(io.netty.channel.epoll.EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE,
                    maxDatagramSize() + 1);
        }
    }

    /** A quarter of the idle timeout, within 50 ms..1 s: expiry is late by at most that much. */
    static long sweepIntervalNanos(long idleNanos) {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(50), Math.min(TimeUnit.SECONDS.toNanos(1), idleNanos / 4));
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        DatagramPacket packet = (DatagramPacket) msg;
        ByteBuf data = packet.content();
        int size = data.readableBytes();
        // The receive buffer is one byte larger than the limit, so a longer datagram shows up as
        // size > limit instead of being silently truncated by the kernel and forwarded corrupt.
        if (size > maxDatagramSize()) {
            counters.increment(ListenerCounter.DROPPED_OVERSIZE);
            packet.release();
            return;
        }
        InetSocketAddress client = packet.sender();
        UdpSettings udp = listener.config().udp();
        // Content-aware affinity: the datagram itself may name its target, whatever its address.
        Target routed = switch (udp.affinity()) {
            case QUIC -> routeQuic(udp, data, size);
            case STUN -> routeStun(data, size);
            default -> null;
        };
        UdpSession session = sessions.get(client);
        if (session != null && routed != null) {
            if (session.target != routed) {
                closeSession(session, ListenerCounter.CLOSED_REROUTED);
                session = null;
            }
        } else if (session != null && session.target.shouldRepick()) {
            // The target went unhealthy (a draining one keeps its flows): this flow moves now,
            // on its next datagram, rather than blackholing until it idles out.
            closeSession(session, ListenerCounter.CLOSED_TARGET_UNHEALTHY);
            session = null;
        }
        if (session == null) {
            session = openSession(client, packet.recipient(), routed);
            if (session == null) {
                packet.release();
                return;
            }
        }
        counters.increment(ListenerCounter.DATAGRAMS_RX);
        counters.add(ListenerCounter.BYTES_RX, size);
        long now = System.nanoTime();
        session.lastSeenNanos = now;
        if (session.unansweredSinceNanos == ReplyWait.ANSWERED) {
            awaitReply(session, now);
        }
        forward(session, data);
        session.requests++;
        int maxRequests = listener.config().udp().maxRequests();
        if (maxRequests > 0 && session.requests >= maxRequests && !session.closed) {
            sessions.remove(client);
            session.unbound = true;
            unbound.add(session);
        }
    }

    /**
     * The first datagram since the session's last reply: with the group's {@code udp_reply_timeout}
     * on, the sweep starts watching for the reply. Runs once per request/reply round, not per datagram.
     */
    private void awaitReply(UdpSession session, long now) {
        if (!session.group.config().outlierDetection().udpReplyTimeoutEnabled()) {
            return;
        }
        session.unansweredSinceNanos = ReplyWait.sent(session.unansweredSinceNanos, now);
        if (!session.awaitingWatched) {
            session.awaitingWatched = true;
            awaiting.add(session);
        }
    }

    private void forward(UdpSession session, ByteBuf data) {
        if (!session.connected) {
            if (!session.hold(data)) {
                counters.increment(ListenerCounter.DROPPED_PENDING_OVERFLOW);
                data.release();
            }
            return;
        }
        ByteBuf framed = withProxyHeader(data, session);
        if (framed == null) {
            return;
        }
        switch (session.upstream.send(framed)) {
            case Upstream.QUEUED -> {
                if (!session.needsFlush) {
                    session.needsFlush = true;
                    toFlush.add(session);
                }
            }
            case Upstream.BUSY -> counters.increment(ListenerCounter.DROPPED_UPSTREAM_BUSY);
            default -> { }
        }
    }

    /**
     * The datagram as the target receives it: behind a PROXY v2 header when the listener has
     * {@code proxy_protocol: v2}. One pooled buffer, one copy; the original is released.
     */
    private ByteBuf withProxyHeader(ByteBuf data, UdpSession session) {
        byte[] header = session.proxyHeader;
        if (header == null) {
            return data;
        }
        ByteBuf framed;
        try {
            framed = listenerChannel.alloc().directBuffer(header.length + data.readableBytes());
        } catch (OutOfMemoryError e) {
            data.release();
            noMemory(e);
            return null;
        }
        framed.writeBytes(header).writeBytes(data);
        data.release();
        return framed;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushUpstreams();
    }

    private void flushUpstreams() {
        for (int i = 0, n = toFlush.size(); i < n; i++) {
            UdpSession s = toFlush.get(i);
            s.needsFlush = false;
            s.upstream.flush();
        }
        toFlush.clear();
    }

    /**
     * The target a QUIC datagram's destination connection ID names, or null to let the 5-tuple
     * decide (counted by route either way).
     */
    private Target routeQuic(UdpSettings udp, ByteBuf data, int size) {
        io.wavelb.config.QuicLbConfig config = udp.quicLb().orElseThrow();
        if (quicConfig != config) {
            // First datagram, or a reload changed the format: a codec of our own (it is not thread-safe).
            quicCodec = new QuicLbCodec(config);
            quicConfig = config;
            serverId = new byte[config.serverIdLength()];
        }
        int n = Math.min(size, QuicHeaders.PREFIX);
        data.getBytes(data.readerIndex(), scratch, 0, n);
        int kind = QuicHeaders.classify(scratch, n, quicCodec, serverId);
        switch (kind) {
            case QuicHeaders.SERVER_ID, QuicHeaders.SERVER_ID_CLIENT_CHOSEN -> {
                Target target = listener.group().byServerId(serverId, serverId.length);
                if (target != null) {
                    counters.increment(ListenerCounter.QUIC_CID);
                    return target;
                }
                // An Initial's ID is the client's random pick: not knowing it is normal, not stale.
                counters.increment(kind == QuicHeaders.SERVER_ID
                        ? ListenerCounter.QUIC_UNKNOWN_SERVER_ID : ListenerCounter.QUIC_FALLBACK);
                return null;
            }
            case QuicHeaders.UNROUTABLE -> {
                counters.increment(ListenerCounter.QUIC_UNROUTABLE);
                return null;
            }
            default -> {
                counters.increment(ListenerCounter.QUIC_FALLBACK);
                return null;
            }
        }
    }

    /**
     * The target a STUN Binding Request's receiving ufrag names: the target whose server ID (hex)
     * starts it, else the target Maglev gives the ufrag's hash, so every candidate pair of one ICE
     * session lands on one target. Null for other datagrams (the 5-tuple decides).
     */
    private Target routeStun(ByteBuf data, int size) {
        int n = Math.min(size, StunMessages.PREFIX);
        data.getBytes(data.readerIndex(), scratch, 0, n);
        long ufrag = StunMessages.receivingUfrag(scratch, n, size);
        if (ufrag == StunMessages.NOT_BINDING_REQUEST) {
            return null;
        }
        if (ufrag == StunMessages.NO_USERNAME) {
            counters.increment(ListenerCounter.STUN_NO_USERNAME);
            return null;
        }
        int offset = (int) (ufrag >>> 32);
        int length = (int) ufrag;
        TargetGroup group = listener.group();
        Target target = group.byUfragPrefix(scratch, offset, length);
        if (target != null) {
            counters.increment(ListenerCounter.STUN_SERVER_ID);
            return target;
        }
        target = group.peek(FlowHash.ofBytes(scratch, offset, length));
        if (target != null) {
            counters.increment(ListenerCounter.STUN_UFRAG_HASH);
        }
        return target;
    }

    /**
     * Opens a session for a new client address: on {@code routed} when the datagram named a target,
     * else on the target the flow hash picks.
     */
    private UdpSession openSession(InetSocketAddress client, InetSocketAddress recipient, Target routed) {
        if (listener.overloadState().stopAccepting()) {
            counters.increment(ListenerCounter.DROPPED_OVERLOAD);
            return null;
        }
        if (!budget.tryAcquire() && !makeRoom()) {
            counters.increment(ListenerCounter.DROPPED_SESSION_CAP);
            return null;
        }
        InetSocketAddress local = listener.localAddress();
        TargetGroup group = listener.group();
        Target target;
        if (routed != null) {
            target = routed;
        } else {
            long hash = listener.config().udp().affinity() == io.wavelb.config.UdpAffinity.SOURCE_IP
                    ? FlowHash.sourceIp(client.getAddress())
                    : group.flowHash(FlowHash.UDP, client.getAddress(), client.getPort(), local.getAddress(), local.getPort());
            target = group.open(hash);
        }
        if (target == null) {
            budget.release();
            counters.increment(ListenerCounter.DROPPED_NO_TARGET);
            return null;
        }
        UdpSession session = new UdpSession(client, group, target, System.nanoTime());
        try {
            session.upstream = openUpstream(session);
        } catch (Exception e) {
            // Typically EMFILE: each session holds one socket, so descriptors run out before memory.
            budget.release();
            counters.increment(ListenerCounter.DROPPED_SOCKET_ERROR);
            listener.warnRateLimited("cannot open an upstream socket for a new UDP session to " + target + ": " + e);
            return null;
        }
        if (listener.config().proxyProtocol() == io.wavelb.config.ProxyProtocol.V2) {
            // The address the client sent to: the datagram's own destination when the transport
            // reports it, else the listener's bound address.
            InetSocketAddress to = recipient != null && recipient.getAddress() != null
                    && !recipient.getAddress().isAnyLocalAddress() ? recipient : local;
            session.proxyHeader = ProxyHeaders.v2(client, to, true);
        }
        target.udpSessionOpened();
        sessions.put(client, session);
        counters.increment(ListenerCounter.SESSIONS_CREATED);
        return session;
    }

    /**
     * At {@code max_sessions}: ends this loop's session quiet the longest, if quiet for at least
     * {@link #EVICTION_FLOOR_NANOS} (or its idle timeout, if shorter), and takes its place.
     * Otherwise records the refusal, which shortens idle timeouts on every loop of the listener.
     */
    private boolean makeRoom() {
        long now = System.nanoTime();
        UdpSession victim = sessions.evictIdlest(now, Math.min(configuredIdleNanos(), EVICTION_FLOOR_NANOS));
        if (victim != null) {
            finish(victim, ListenerCounter.CLOSED_SESSION_CAP);
            if (budget.tryAcquire()) {
                return true;
            }
        }
        budget.refused(now);
        return false;
    }

    /**
     * The session's socket to its target: native on epoll (connected before this returns), else a
     * channel that connects later ({@link #onConnected}). {@code -Dwavelb.udp.nativeUpstream=false}
     * forces channels, to compare the two side by side.
     */
    private Upstream openUpstream(UdpSession session) throws java.io.IOException {
        int receiveCapacity = maxDatagramSize() + 1;
        InetSocketAddress to = session.target.socketAddress();
        if (NATIVE_UPSTREAM && NativeUpstream.supportedOn(loop)) {
            NativeUpstream upstream = NativeUpstream.open((io.netty.channel.IoEventLoop) loop, to, this, session,
                    listenerChannel.alloc(), counters, receiveCapacity);
            session.connected = true;
            return upstream;
        }
        return ChannelUpstream.open(transport, loop, to, this, session, receiveCapacity);
    }

    static final boolean NATIVE_UPSTREAM = Boolean.parseBoolean(System.getProperty("wavelb.udp.nativeUpstream", "true"));

    void onConnected(UdpSession session) {
        if (session.closed) {
            return;
        }
        session.connected = true;
        ByteBuf held;
        while ((held = session.nextHeld()) != null) {
            forward(session, held);
        }
        flushUpstreams();
    }

    void failSession(UdpSession session, Throwable cause) {
        if (session.closed) {
            return;
        }
        counters.increment(ListenerCounter.DROPPED_SOCKET_ERROR);
        listener.warnRateLimited("UDP session to " + session.target + " failed to open: " + cause);
        closeSession(session, ListenerCounter.CLOSED_TARGET_UNREACHABLE);
    }

    void replyToClient(UdpSession session, ByteBuf content) {
        targetAnswered(session);
        int size = content.readableBytes();
        if (size > maxDatagramSize()) {
            counters.increment(ListenerCounter.DROPPED_OVERSIZE);
            content.release();
            return;
        }
        if (!listenerChannel.isWritable()) {
            counters.increment(ListenerCounter.DROPPED_CLIENT_BUSY);
            content.release();
            return;
        }
        session.lastSeenNanos = System.nanoTime();
        if (size == 0 && emptyReplySender != null) {
            content.release();
            if (!EmptyDatagrams.send(emptyReplySender, session.client)) {
                counters.increment(ListenerCounter.DROPPED_CLIENT_BUSY);
                return;
            }
            counters.increment(ListenerCounter.DATAGRAMS_TX);
        } else {
            counters.increment(ListenerCounter.DATAGRAMS_TX);
            counters.add(ListenerCounter.BYTES_TX, size);
            listenerChannel.write(new DatagramPacket(content, session.client), listenerChannel.voidPromise());
            if (!repliesNeedFlush) {
                // One flush after this loop turn's I/O, for the replies of every session on the loop:
                // Netty sends them with one sendmmsg.
                repliesNeedFlush = true;
                loop.execute(flushReplies);
            }
        }
        session.responses++;
        // As NGINX: with max_requests the session is complete once it has taken all its client
        // datagrams and their replies; without, once the replies to what it took are back.
        UdpSettings udp = listener.config().udp();
        int maxResponses = udp.maxResponses();
        if (maxResponses > 0 && (udp.maxRequests() == 0 || session.unbound)
                && session.responses >= session.requests * maxResponses) {
            closeSession(session, ListenerCounter.CLOSED_COMPLETED);
        }
    }

    /**
     * The target replied, so it is alive whatever the client side does with the reply: the wait
     * ends, and the target's failure run is reset at once on a session's first reply, else by the
     * next sweep (one success per target per sweep, so a busy flow costs no call per datagram).
     */
    private void targetAnswered(UdpSession session) {
        session.unansweredSinceNanos = ReplyWait.ANSWERED;
        if (!session.answeredThisSweep) {
            session.answeredThisSweep = true;
            answered.add(session);
            if (!session.replied) {
                session.replied = true;
                session.group.flowSucceeded(session.target);
            }
        }
    }

    /** One success per target that answered any of this loop's sessions since the last sweep. */
    private void reportAnswered() {
        for (int i = 0, n = answered.size(); i < n; i++) {
            UdpSession s = answered.get(i);
            s.answeredThisSweep = false;
            if (!s.closed) {
                succeeded.putIfAbsent(s.target, s.group);
            }
        }
        answered.clear();
        if (!succeeded.isEmpty()) {
            succeeded.forEach((target, group) -> group.flowSucceeded(target));
            succeeded.clear();
        }
    }

    /**
     * Sessions that sent and heard nothing for their group's udp_reply_timeout: one failed flow each
     * (then the wait starts over with the next datagram). The rest stay watched while they wait.
     */
    private void checkReplyTimeouts(long now) {
        int kept = 0;
        for (int i = 0, n = awaiting.size(); i < n; i++) {
            UdpSession s = awaiting.get(i);
            if (s.closed || s.unansweredSinceNanos == ReplyWait.ANSWERED) {
                s.awaitingWatched = false;
                continue;
            }
            io.wavelb.config.OutlierDetectionConfig od = s.group.config().outlierDetection();
            if (!od.udpReplyTimeoutEnabled()) {
                s.awaitingWatched = false;
                s.unansweredSinceNanos = ReplyWait.ANSWERED;
                continue;
            }
            if (ReplyWait.timedOut(s.unansweredSinceNanos, now, od.udpReplyTimeout().toNanos())) {
                s.awaitingWatched = false;
                s.unansweredSinceNanos = ReplyWait.ANSWERED;
                s.group.flowFailed(s.target);
                continue;
            }
            awaiting.set(kept++, s);
        }
        if (kept < awaiting.size()) {
            awaiting.subList(kept, awaiting.size()).clear();
        }
    }

    private final Runnable flushReplies = () -> {
        repliesNeedFlush = false;
        listenerChannel.flush();
    };

    /**
     * The target refused the session's datagrams: a connected UDP socket learns of ICMP port
     * unreachable as ECONNREFUSED. The target is not listening, so the session is useless and the
     * client's next datagram re-picks.
     */
    void targetRefused(UdpSession session) {
        if (!session.closed) {
            session.group.flowFailed(session.target);
        }
        closeSession(session, ListenerCounter.CLOSED_TARGET_UNREACHABLE);
    }

    void closeSession(UdpSession session, ListenerCounter reason) {
        if (session.closed) {
            return;
        }
        if (session.unbound) {
            unbound.remove(session);
        } else {
            sessions.remove(session.client);
        }
        finish(session, reason);
    }

    /** Closes a session already taken out of the table. */
    private void finish(UdpSession session, ListenerCounter reason) {
        if (session.closed) {
            return;
        }
        session.closed = true;
        session.releaseHeld();
        budget.release();
        session.target.udpSessionClosed();
        counters.increment(reason);
        session.upstream.close();
    }

    private void expireIdle() {
        long now = System.nanoTime();
        // Passive health first, so a session that waited out its reply timeout counts before it
        // idles out in the same sweep.
        reportAnswered();
        checkReplyTimeouts(now);
        long idle = idleNanos(now);
        sessions.expire(now, idle, s -> finish(s, ListenerCounter.CLOSED_IDLE));
        if (!unbound.isEmpty()) {
            for (var it = unbound.iterator(); it.hasNext(); ) {
                UdpSession s = it.next();
                if (now - s.lastSeenNanos >= idle) {
                    it.remove();
                    finish(s, ListenerCounter.CLOSED_IDLE);
                }
            }
        }
    }

    /** Removes and finishes the unbound sessions that {@code which} selects. */
    private void finishUnbound(java.util.function.Predicate<UdpSession> which, ListenerCounter reason) {
        for (var it = unbound.iterator(); it.hasNext(); ) {
            UdpSession s = it.next();
            if (which.test(s)) {
                it.remove();
                finish(s, reason);
            }
        }
    }

    /** The target's deregistration delay ran out: end its sessions on this loop. */
    void purge(Target target) {
        sessions.removeTarget(target, s -> finish(s, ListenerCounter.CLOSED_TARGET_REMOVED));
        finishUnbound(s -> s.target == target, ListenerCounter.CLOSED_TARGET_REMOVED);
    }

    /** The listener is going away but its sockets close later: end its sessions now, as evicted. */
    void evictAll() {
        sessions.clear(s -> finish(s, ListenerCounter.CLOSED_EVICTED));
        finishUnbound(s -> true, ListenerCounter.CLOSED_EVICTED);
    }

    EventLoop loop() {
        return loop;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (sweep != null) {
            sweep.cancel(false);
        }
        sessions.clear(s -> finish(s, ListenerCounter.CLOSED_SHUTDOWN));
        finishUnbound(s -> true, ListenerCounter.CLOSED_SHUTDOWN);
        answered.clear();
        awaiting.clear();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof OutOfMemoryError) {
            // No receive buffer within the memory budget: the datagrams stay in the kernel queue
            // (dropped there if it fills); the socket and the loop carry on.
            noMemory(cause);
            return;
        }
        // An unconnected UDP socket has no per-peer errors worth acting on; keep serving.
        listener.warnRateLimited("UDP listener socket error: " + cause);
    }

    /** A buffer could not be allocated within the memory budget: count it and warn (rate-limited). */
    void noMemory(Throwable cause) {
        counters.increment(ListenerCounter.DROPPED_NO_MEMORY);
        listener.warnRateLimited("datagram dropped: no buffer memory within the budget (" + cause.getMessage() + ")");
    }

    /**
     * Where a reply that could not get a buffer is read into and dropped: a one-byte read takes the
     * datagram off a UDP socket (the kernel truncates), so a level-triggered socket does not spin.
     */
    final java.nio.ByteBuffer discard = java.nio.ByteBuffer.allocateDirect(1);

    /** Sessions this loop holds right now (read from other threads only for display). */
    int sessionCount() {
        return sessions.size();
    }
}
