package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.IoEventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import io.wavelb.config.OutlierDetectionConfig;
import io.wavelb.config.UdpAffinity;
import io.wavelb.core.affinity.Route;
import io.wavelb.core.balance.FlowHash;
import io.wavelb.core.flowlog.EndReason;
import io.wavelb.core.flowlog.FlowLog;
import io.wavelb.core.flowlog.FlowRecord;
import io.wavelb.core.health.state.ReplyWait;
import io.wavelb.core.linux.LocalPorts;
import io.wavelb.core.listener.Descriptors;
import io.wavelb.core.proxy.ProxyHeaders;
import io.wavelb.core.session.ClientAddress;
import io.wavelb.core.session.ClientKey;
import io.wavelb.core.session.SessionBudget;
import io.wavelb.core.session.SessionTable;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.target.Target;
import io.wavelb.core.transparent.TransparentSource;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.takeover.TakeoverProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Predicate;

/**
 * The one owner of an event loop's UDP sessions (Envoy's udp_proxy model: the filter owns its
 * ActiveSessions and alone removes them): the table by client address, the sessions unbound by
 * {@code max_requests} that still wait for replies, opening (cap, eviction, target pick, upstream
 * socket), sending to the upstream sockets and flushing them once per read batch, the idle sweep,
 * passive health by replies, and ending sessions for every reason. Upstream sockets report here
 * through {@link UpstreamEvents}. Every method runs on the loop, so nothing here needs a lock.
 */
final class UdpSessions implements UpstreamEvents {

    /**
     * At {@code max_sessions}, a session quiet for this long may give its place to a new client
     * (or its idle timeout, if shorter). A second is long for a flow that is alive (game and media
     * flows send many times a second; a DNS-like exchange is over) and short for a locked-out client.
     */
    static final long EVICTION_FLOOR_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** A flow record's {@code route} for each {@link Route}, by ordinal: made once, not per record. */
    private static final String[] ROUTE_LABELS = routeLabels();

    private final UdpListener listener;
    private final SessionBudget budget;
    private final LoopCounters counters;
    private final ClientReplies replies;
    private final ByteBufAllocator alloc;
    private final EventLoop loop;
    private final Upstreams upstreams;
    private final SessionTable<ClientAddress, UdpSession> table = new SessionTable<>();
    /** Sessions unbound by max_requests that still wait for replies; swept like the table. */
    private final Set<UdpSession> unbound = new HashSet<>();
    /** Sessions written to in the current read batch: flushed once each by {@link #flush}. */
    private final ArrayList<UdpSession> toFlush = new ArrayList<>();
    /** Sessions that got a reply since the last sweep: the sweep reports one success per target. */
    private final ArrayList<UdpSession> answered = new ArrayList<>();
    /** Sessions whose socket had replies queued since the last sweep: the sweep reads their drop counts. */
    private final ArrayList<UdpSession> queueing = new ArrayList<>();
    /** Sessions waiting for a reply while their group has a udp_reply_timeout; the sweep checks them. */
    private final ArrayList<UdpSession> awaiting = new ArrayList<>();
    /** Reused by the sweep: each target answered, once, with the group it reports to. */
    private final IdentityHashMap<Target, TargetGroup> succeeded = new IdentityHashMap<>();
    private UdpLoopSettings settings;
    private ScheduledFuture<?> sweep;
    /** {@code udp.mode: per_packet}: numbers this loop's datagrams, whose hashes pick their targets. */
    private long packetSequence;
    /** Per-packet legs open on this loop: when none, nothing needs their scan. */
    private int legsOpen;

    UdpSessions(UdpListener listener, UdpLoopSettings settings, EventLoop loop, ByteBufAllocator alloc,
                LoopCounters counters, ClientReplies replies, Upstreams.Factory upstreams) {
        this.listener = listener;
        this.budget = listener.budget();
        this.settings = settings;
        this.loop = loop;
        this.alloc = alloc;
        this.counters = counters;
        this.replies = replies;
        this.upstreams = upstreams.create(loop, alloc, counters, this);
    }

    private static String[] routeLabels() {
        String[] labels = new String[Route.values().length];
        for (Route r : Route.values()) {
            labels[r.ordinal()] = r == Route.NONE ? null : r.name().toLowerCase(Locale.ROOT);
        }
        return labels;
    }

    /** Starts the idle sweep. */
    void start() {
        long every = sweepIntervalNanos(settings.idleNanos());
        sweep = loop.scheduleAtFixedRate(this::sweepNow, every, every, TimeUnit.NANOSECONDS);
    }

    /** A reload changed the listener: new sessions follow {@code newSettings}, and the sweep its idle timeout. */
    void settings(UdpLoopSettings newSettings) {
        settings = newSettings;
        if (sweep != null) {
            sweep.cancel(false);
            start();
        }
    }

    /** A quarter of the idle timeout, within 50 ms..1 s: expiry is late by at most that much. */
    static long sweepIntervalNanos(long idleNanos) {
        return Math.max(TimeUnit.MILLISECONDS.toNanos(50), Math.min(TimeUnit.SECONDS.toNanos(1), idleNanos / 4));
    }

    /** The session of a client address, or null. Allocation-free. */
    UdpSession get(ClientAddress client) {
        return table.get(client);
    }

    /** Sessions this loop holds in its table. */
    int size() {
        return table.size();
    }

    /**
     * Opens a session for a new client address: on {@code routed} when the datagram named a
     * target, else on the target the flow hash picks ({@code route}: how the datagram was read,
     * for the flow log). Null, counted, when it cannot: overload, the session cap, no target, no
     * socket. A refused datagram gets no flow log record: it is no flow, and a record per refused
     * datagram would let a flood of them fill the disk; the drop counters count them.
     */
    UdpSession open(InetSocketAddress client, ClientAddress key, InetSocketAddress recipient, Target routed, Route route) {
        if (listener.overloadState().stopAccepting()) {
            counters.increment(ListenerCounter.DROPPED_OVERLOAD);
            return null;
        }
        UdpLoopSettings s = settings;
        ClientKey countedAs = null;
        int perClient = s.udp().maxSessionsPerClient();
        if (perClient > 0 || s.newFlowRate().limited()) {
            ClientKey limited = ClientKey.of(client.getAddress(), s.clientPrefix());
            if (!listener.flowRates().tryAcquire(limited, s.newFlowRate())) {
                counters.increment(ListenerCounter.DROPPED_CLIENT_LIMIT);
                return null;
            }
            countedAs = perClient > 0 ? limited : null;
        }
        if (countedAs != null) {
            if (!listener.clients().tryOpen(countedAs, perClient)) {
                counters.increment(ListenerCounter.DROPPED_CLIENT_LIMIT);
                return null;
            }
        }
        if (!budget.tryAcquire() && !makeRoom()) {
            uncount(countedAs);
            counters.increment(ListenerCounter.DROPPED_SESSION_CAP);
            return null;
        }
        InetSocketAddress local = s.local();
        TargetGroup group = s.group();
        Target target;
        if (routed != null) {
            target = routed;
        } else {
            long hash = s.udp().affinity() == UdpAffinity.SOURCE_IP
                    ? FlowHash.sourceIp(client.getAddress())
                    : group.flowHash(FlowHash.UDP, client.getAddress(), client.getPort(), local.getAddress(), local.getPort());
            target = group.open(hash);
        }
        if (target == null) {
            budget.release();
            uncount(countedAs);
            counters.increment(ListenerCounter.DROPPED_NO_TARGET);
            return null;
        }
        InetSocketAddress source = null;
        if (s.transparent()) {
            // The target sees the exact 5-tuple the client sent: its address and port.
            source = TransparentSource.of(client, target.socketAddress(), client.getPort());
            if (source == null) {
                budget.release();
                uncount(countedAs);
                counters.increment(ListenerCounter.DROPPED_TRANSPARENT_BIND);
                listener.warnRateLimited("transparent: client " + client + " cannot be bound towards target " + target
                        + " of the other address family; dropped");
                return null;
            }
        }
        UdpSession session = new UdpSession(client, key.copy(), group, target, System.nanoTime());
        session.countedAs = countedAs;
        try {
            session.replyCapacity = s.receiveCapacity();
            session.upstream = upstreams.open(session, session.replyCapacity, s.udp().sessionReceiveBuffer(), source);
        } catch (TransparentBindException e) {
            budget.release();
            uncount(countedAs);
            counters.increment(ListenerCounter.DROPPED_TRANSPARENT_BIND);
            listener.warnRateLimited("transparent: new UDP session of ", client, ": ", e.getMessage());
            return null;
        } catch (Exception e) {
            budget.release();
            uncount(countedAs);
            if (source == null && LocalPorts.exhausted(e)) {
                noLocalPort(target);
                return null;
            }
            // Typically EMFILE: each session holds one socket, so descriptors run out before memory.
            counters.increment(ListenerCounter.DROPPED_SOCKET_ERROR);
            listener.warnRateLimited("cannot open an upstream socket for a new UDP session to ", target, ": ", e);
            return null;
        }
        session.connected = session.upstream.connectedAtOpen();
        if (s.proxyV2()) {
            // The address the client sent to: the datagram's own destination when the transport
            // reports it, else the listener's bound address.
            InetSocketAddress to = recipient != null && recipient.getAddress() != null
                    && !recipient.getAddress().isAnyLocalAddress() ? recipient : local;
            session.proxyHeader = ProxyHeaders.v2(client, to, true);
        }
        target.udpSessionOpened();
        table.put(session.key, session);
        counters.increment(ListenerCounter.SESSIONS_CREATED);
        startLogging(session, route);
        return session;
    }

    /**
     * At {@code max_sessions}: ends this loop's session quiet the longest, if quiet for at least
     * {@link #EVICTION_FLOOR_NANOS} (or its idle timeout, if shorter), and takes its place.
     * Otherwise records the refusal, which shortens idle timeouts on every loop of the listener.
     */
    private boolean makeRoom() {
        long now = System.nanoTime();
        UdpSession victim = table.evictIdlest(now, Math.min(settings.idleNanos(), EVICTION_FLOOR_NANOS));
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
     * A client datagram for {@code session} (ownership passes): sent or queued on its upstream
     * socket; with {@code max_requests}, the session lets go of its client address once it has
     * taken that many.
     */
    void forward(UdpSession session, ByteBuf data, long now) {
        session.lastSeenNanos = now;
        UdpSession via = settings.udp().perPacket() ? legFor(session, now) : session;
        via.datagramsFromClient++;
        via.bytesFromClient += data.readableBytes();
        if (via.unansweredSinceNanos == ReplyWait.ANSWERED) {
            awaitReply(via, now);
        }
        boolean open = send(via, data) && !session.closed;
        session.requests++;
        int maxRequests = settings.udp().maxRequests();
        if (open && maxRequests > 0 && session.requests >= maxRequests) {
            table.remove(session.key);
            session.unbound = true;
            unbound.add(session);
        }
    }

    /**
     * {@code udp.mode: per_packet}: the session (the head or one of its legs) to send this datagram
     * by, towards the target the group's picker gives the loop's next datagram number. A leg is
     * opened the first time the client's datagrams go to a target; it takes a {@code max_sessions}
     * place and a socket, so a client holds at most one socket per target of the group. When none
     * can be had, the datagram goes by the head (counted), not dropped.
     */
    private UdpSession legFor(UdpSession head, long now) {
        Target target = head.group.open(FlowHash.ofSequence(++packetSequence));
        if (target == null || target == head.target) {
            return head;
        }
        UdpSession leg = head.leg(target);
        if (leg != null) {
            return leg;
        }
        if (!budget.tryAcquire()) {
            counters.increment(ListenerCounter.UDP_LEG_FALLBACK);
            return head;
        }
        leg = new UdpSession(head, target, now);
        try {
            // Not transparent: the config refuses per_packet with transparent.
            leg.replyCapacity = settings.receiveCapacity();
            leg.upstream = upstreams.open(leg, leg.replyCapacity, settings.udp().sessionReceiveBuffer(), null);
        } catch (Exception e) {
            budget.release();
            counters.increment(ListenerCounter.UDP_LEG_FALLBACK);
            listener.warnRateLimited("cannot open an upstream socket for a per-packet UDP session to ", target, ": ", e);
            return head;
        }
        leg.connected = leg.upstream.connectedAtOpen();
        target.udpSessionOpened();
        head.addLeg(leg);
        legsOpen++;
        startLogging(leg, head.route);
        counters.increment(ListenerCounter.SESSIONS_CREATED);
        counters.increment(ListenerCounter.UDP_LEGS_OPENED);
        return leg;
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

    private void uncount(ClientKey countedAs) {
        if (countedAs != null) {
            listener.clients().closed(countedAs);
        }
    }

    /** Sends or holds one datagram; false when the upstream socket failed and the session ended. */
    private boolean send(UdpSession session, ByteBuf data) {
        if (!session.connected) {
            if (!session.hold(data)) {
                counters.increment(ListenerCounter.DROPPED_PENDING_OVERFLOW);
                data.release();
            }
            return true;
        }
        ByteBuf framed = withProxyHeader(data, session);
        if (framed == null) {
            return true;
        }
        switch (session.upstream.send(framed)) {
            case OK -> {
                if (!session.needsFlush) {
                    session.needsFlush = true;
                    toFlush.add(session);
                }
            }
            case BUSY -> counters.increment(ListenerCounter.DROPPED_UPSTREAM_BUSY);
            case FAILED -> {
                refused(session);
                return false;
            }
        }
        return true;
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
            framed = alloc.directBuffer(header.length + data.readableBytes());
        } catch (OutOfMemoryError e) {
            data.release();
            noMemory(e);
            return null;
        }
        framed.writeBytes(header).writeBytes(data);
        data.release();
        return framed;
    }

    /** Flushes the upstream sockets written to since the last flush: once per read batch. */
    void flush() {
        for (int i = 0, n = toFlush.size(); i < n; i++) {
            UdpSession s = toFlush.get(i);
            s.needsFlush = false;
            if (!s.closed && s.upstream.flush() == Upstream.Outcome.FAILED) {
                refused(s);
            }
        }
        toFlush.clear();
    }

    @Override
    public void connected(UdpSession session) {
        if (session.closed) {
            return;
        }
        session.connected = true;
        ByteBuf held;
        while ((held = session.nextHeld()) != null) {
            if (!send(session, held)) {
                break;
            }
        }
        flush();
    }

    @Override
    public void failed(UdpSession session, Throwable cause) {
        if (session.closed) {
            return;
        }
        if (!listener.config().transparent() && LocalPorts.exhausted(cause)) {
            noLocalPort(session.target);
        } else {
            counters.increment(ListenerCounter.DROPPED_SOCKET_ERROR);
            listener.warnRateLimited("UDP session to " + session.target + " failed to open: " + cause);
        }
        close(session, ListenerCounter.CLOSED_TARGET_UNREACHABLE);
    }

    /** A new session's socket found no free local port: counted and said, naming the range to widen. */
    private void noLocalPort(Target target) {
        counters.increment(ListenerCounter.DROPPED_NO_LOCAL_PORT);
        listener.warnRateLimited("no free local port for a new UDP session's socket to ", target,
                ": every port of net.ipv4.ip_local_port_range is held by a UDP socket of this host; dropped"
                + " (widen the range, or lower udp.max_sessions); the range: ", LocalPorts.DESCRIBED);
    }

    @Override
    public boolean reply(UdpSession session, ByteBuf content) {
        targetAnswered(session);
        UdpLoopSettings s = settings;
        // Over the limit, or cut to the buffer the socket was opened with before a reload raised it.
        if (content.readableBytes() > s.maxDatagramSize() || content.readableBytes() >= session.replyCapacity) {
            counters.increment(ListenerCounter.DROPPED_OVERSIZE);
            content.release();
            return true;
        }
        if (!replies.writable()) {
            counters.increment(ListenerCounter.DROPPED_CLIENT_BUSY);
            content.release();
            return true;
        }
        // A leg's datagrams and replies count on its head: the client's session as a whole idles
        // out or completes. Its flow record counts its own (the client's exchange with its target).
        UdpSession head = session.head;
        head.lastSeenNanos = System.nanoTime();
        int size = content.readableBytes();
        if (!replies.send(session.client, session.key, content)) {
            return true;
        }
        head.responses++;
        session.datagramsToClient++;
        session.bytesToClient += size;
        // As NGINX: with max_requests the session is complete once it has taken all its client
        // datagrams and their replies; without, once the replies to what it took are back.
        int maxResponses = s.udp().maxResponses();
        if (maxResponses > 0 && (s.udp().maxRequests() == 0 || head.unbound)
                && head.responses >= head.requests * maxResponses) {
            close(head, ListenerCounter.CLOSED_COMPLETED);
            return false;
        }
        return true;
    }

    /**
     * The target refused the session's datagrams: a connected UDP socket learns of ICMP port
     * unreachable as ECONNREFUSED. The target is not listening, so the session is useless and the
     * client's next datagram re-picks.
     */
    @Override
    public void refused(UdpSession session) {
        if (session.closed) {
            return;
        }
        session.group.flowFailed(session.target);
        close(session, ListenerCounter.CLOSED_TARGET_UNREACHABLE);
    }

    /** A buffer could not be allocated within the memory budget: count it and warn (rate-limited). */
    @Override
    public void noMemory(Throwable cause) {
        counters.increment(ListenerCounter.DROPPED_NO_MEMORY);
        listener.warnRateLimited("datagram dropped: no buffer memory within the budget: ", cause.getMessage());
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

    /** Ends a session, wherever it is (the table, the unbound set, or a leg of its head). */
    void close(UdpSession session, ListenerCounter reason) {
        if (session.closed) {
            return;
        }
        if (session.isLeg()) {
            session.head.removeLeg(session);
        } else if (session.unbound) {
            unbound.remove(session);
        } else {
            table.remove(session.key);
        }
        finish(session, reason);
    }

    /** Ends a session already taken out of the table or the unbound set. */
    private void finish(UdpSession session, ListenerCounter reason) {
        if (session.closed) {
            return;
        }
        session.closed = true;
        session.releaseHeld();
        budget.release();
        uncount(session.countedAs);
        session.target.udpSessionClosed();
        counters.increment(reason);
        if (session.logged) {
            listener.flowLog().record(record(session, FlowRecord.Event.END, EndReason.of(reason)));
        }
        session.upstream.close();
        if (session.isLeg()) {
            legsOpen--;
        }
        UdpSession[] legs = session.takeLegs();
        if (legs != null) {
            // Legs are not handed over in a takeover: they end here.
            ListenerCounter legReason = reason == ListenerCounter.CLOSED_HANDED_OVER ? ListenerCounter.CLOSED_SHUTDOWN : reason;
            for (UdpSession leg : legs) {
                finish(leg, legReason);
            }
        }
    }

    /**
     * Flow log: whether the new session is logged (a hash of its client and start time against
     * {@code flow_log.sample}: one volatile read, no allocation when it is not), and its start
     * record when {@code on_start} asks for one.
     */
    private void startLogging(UdpSession session, Route route) {
        FlowLog log = listener.flowLog();
        if (!log.sampled(((long) session.client.hashCode() << 32) ^ session.startNanos)) {
            return;
        }
        session.logged = true;
        session.startMillis = System.currentTimeMillis();
        session.route = route;
        if (log.onStart()) {
            log.record(record(session, FlowRecord.Event.START, null));
        }
    }

    private FlowRecord record(UdpSession s, FlowRecord.Event event, EndReason reason) {
        long duration = event == FlowRecord.Event.START ? 0 : System.nanoTime() - s.startNanos;
        return new FlowRecord(event, listener.config().name(), "udp", s.client, s.upstream.localAddress(),
                s.target.socketAddress(), s.startMillis, duration, s.bytesFromClient, s.bytesToClient,
                s.datagramsFromClient, s.datagramsToClient, reason, ROUTE_LABELS[s.route.ordinal()]);
    }

    private void sweepNow() {
        sweep(System.nanoTime());
    }

    /**
     * The periodic sweep at {@code now}: passive health first, so a session that waited out its
     * reply timeout counts before it idles out in the same sweep; then idle expiry of the table
     * and of the unbound sessions.
     */
    void sweep(long now) {
        reportAnswered();
        countKernelDrops();
        checkReplyTimeouts(now);
        long idle = idleNanos(now);
        table.expire(now, idle, s -> finish(s, ListenerCounter.CLOSED_IDLE));
        if (!unbound.isEmpty()) {
            finishUnbound(s -> now - s.lastSeenNanos >= idle, ListenerCounter.CLOSED_IDLE);
        }
    }

    /**
     * The idle timeout to apply now: the configured one, shortened while the balancer is
     * overloaded (reduce_timeouts), and cut to {@link #EVICTION_FLOOR_NANOS} while the listener is
     * at {@code max_sessions} and refusing new clients — so a client locked out on this loop waits
     * a sweep, not a whole idle timeout, for sessions on other loops to make room.
     */
    private long idleNanos(long now) {
        long configured = settings.idleNanos();
        long idle = listener.overloadState().idleNanos(configured);
        if (budget.refusedWithin(now, 2 * sweepIntervalNanos(configured))) {
            idle = Math.min(idle, Math.min(configured, EVICTION_FLOOR_NANOS));
        }
        return idle;
    }

    /**
     * The drop counts of the sockets that had replies queued since the last sweep: one system call
     * each, at most once per sweep; a socket that never queues is never asked.
     */
    private void countKernelDrops() {
        for (int i = 0, n = queueing.size(); i < n; i++) {
            UdpSession s = queueing.get(i);
            s.queueWatched = false;
            if (!s.closed) {
                s.upstream.countKernelDrops();
            }
        }
        queueing.clear();
    }

    @Override
    public void queued(UdpSession session) {
        session.queueWatched = true;
        queueing.add(session);
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
            OutlierDetectionConfig od = s.group.config().outlierDetection();
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

    /** Removes and finishes the unbound sessions that {@code which} selects. */
    private void finishUnbound(Predicate<UdpSession> which, ListenerCounter reason) {
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
        table.removeTarget(target, s -> finish(s, ListenerCounter.CLOSED_TARGET_REMOVED));
        finishUnbound(s -> s.target == target, ListenerCounter.CLOSED_TARGET_REMOVED);
        if (legsOpen > 0) {
            // Rare (a deregistration delay ran out), so a scan of the table is fine.
            table.forEach(head -> {
                UdpSession leg = head.leg(target);
                if (leg != null) {
                    close(leg, ListenerCounter.CLOSED_TARGET_REMOVED);
                }
            });
        }
    }

    /** Ends every session as {@code reason}: the listener is evicted or shut down. */
    void closeAll(ListenerCounter reason) {
        table.clear(s -> finish(s, reason));
        finishUnbound(s -> true, reason);
        answered.clear();
        awaiting.clear();
    }

    // ---- takeover -----------------------------------------------------------------------------

    /** The process taken over: sessions offered in the snapshot, by id; until handed over or thawed. */
    private final IdentityHashMap<UdpSession, Long> offered = new IdentityHashMap<>();
    /** The process taken over: sessions frozen by {@link #freeze}, until {@link #handedOver} or {@link #thaw}. */
    private final List<UdpSession> frozen = new ArrayList<>();
    /** The new process: sessions of the snapshot, in the table but not read until {@link #activate}. */
    private final HashMap<Long, UdpSession> prepared = new HashMap<>();

    /**
     * A takeover's snapshot: this loop's sessions that can be handed over (native sockets, in the
     * table), each with an id from {@code ids}. Nothing changes here: this loop serves on with them.
     */
    List<FrozenSession> snapshot(String listenerName, int member, long nowNanos, LongSupplier ids) {
        offered.clear();
        List<FrozenSession> out = new ArrayList<>();
        table.forEach(session -> {
            if (!session.closed && session.upstream instanceof NativeUpstream upstream) {
                long id = ids.getAsLong();
                offered.put(session, id);
                out.add(export(session, upstream, id, listenerName, member, nowNanos));
            }
        });
        return out;
    }

    /** What changed on this loop since the snapshot, when it froze. */
    record Change(List<Long> closed, List<FrozenSession> opened) {
    }

    /**
     * A takeover is taking this loop's sessions: stops the sweep, sends what is queued, stops
     * polling each session's upstream socket (kept open) and returns what changed since the
     * snapshot: the ids of offered sessions that ended, and the sessions opened since. Sessions
     * whose socket cannot be handed over (not a native one, or unbound by max_requests) end with
     * the process's copies in {@link #handedOver}.
     */
    Change freeze(String listenerName, int member, long nowNanos, LongSupplier ids) {
        stop();
        flush();
        List<FrozenSession> opened = new ArrayList<>();
        table.forEach(session -> {
            if (session.closed || !(session.upstream instanceof NativeUpstream upstream)) {
                return;
            }
            upstream.suspend();
            frozen.add(session);
            if (!offered.containsKey(session)) {
                opened.add(export(session, upstream, ids.getAsLong(), listenerName, member, nowNanos));
            }
        });
        List<Long> closed = new ArrayList<>();
        offered.forEach((session, id) -> {
            if (session.closed || table.get(session.key) != session) {
                closed.add(id);
            }
        });
        return new Change(closed, opened);
    }

    /** The session as the new process takes it; from here on its kernel drops are the new process's to count. */
    private static FrozenSession export(UdpSession session, NativeUpstream upstream, long id, String listenerName, int member,
                                        long nowNanos) {
        upstream.handOffDrops();
        long quietMillis = Math.max(0, TimeUnit.NANOSECONDS.toMillis(nowNanos - session.lastSeenNanos));
        return new FrozenSession(new TakeoverProtocol.SessionState(id, listenerName, member, session.client,
                session.target.socketAddress(), quietMillis, session.requests, session.responses, session.replied,
                session.proxyHeader), upstream.descriptor());
    }

    /** The takeover ended before the freeze: the offered sessions are this process's alone again. */
    void withdraw() {
        offered.forEach((session, id) -> {
            if (session.upstream instanceof NativeUpstream upstream) {
                upstream.keepCountingDrops();
            }
        });
        offered.clear();
    }

    /** The new process holds the frozen sessions' sockets: end them here, counted as handed over. */
    void handedOver() {
        for (UdpSession session : frozen) {
            if (table.remove(session.key) != null) {
                finish(session, ListenerCounter.CLOSED_HANDED_OVER);
            }
        }
        frozen.clear();
        offered.clear();
        closeAll(ListenerCounter.CLOSED_SHUTDOWN);
    }

    /** The takeover failed: poll the frozen sessions' sockets again and restart the sweep. */
    void thaw() {
        withdraw();
        for (UdpSession session : frozen) {
            if (session.closed) {
                continue;
            }
            ((NativeUpstream) session.upstream).keepCountingDrops();
            try {
                ((NativeUpstream) session.upstream).resume((IoEventLoop) loop);
            } catch (IOException e) {
                listener.warnRateLimited("cannot poll a UDP session's socket again after a failed takeover: " + e);
                close(session, ListenerCounter.CLOSED_TARGET_UNREACHABLE);
            }
        }
        frozen.clear();
        start();
    }

    /**
     * The new process, the snapshot: takes a session into the table without reading its socket
     * yet (the process taken over still serves it) until {@link #activate}.
     */
    boolean prepare(TakeoverProtocol.SessionState state, int fd, long nowNanos) {
        UdpSession session = take(state, fd, nowNanos, false);
        if (session == null) {
            return false;
        }
        prepared.put(state.id(), session);
        return true;
    }

    /** The new process: sessions of the snapshot that ended in the process taken over end here, uncounted. */
    void dropPrepared(Collection<Long> ids) {
        for (Long id : ids) {
            UdpSession session = prepared.remove(id);
            if (session != null && !session.closed) {
                if (table.get(session.key) == session) {
                    table.remove(session.key);
                }
                session.closed = true;
                budget.release();
                uncount(session.countedAs);
                session.target.udpSessionClosed();
                session.upstream.close();
            }
        }
    }

    /** The new process: the snapshot's sessions are read from now on, each counted as taken over. */
    int activate() {
        int activated = 0;
        for (UdpSession session : prepared.values()) {
            if (session.closed) {
                continue;
            }
            try {
                ((NativeUpstream) session.upstream).resume((IoEventLoop) loop);
                counters.increment(ListenerCounter.SESSIONS_ADOPTED);
                activated++;
            } catch (IOException | RuntimeException e) {
                listener.warnRateLimited("cannot poll a taken-over UDP session's socket: " + e.getMessage());
                close(session, ListenerCounter.CLOSED_TARGET_UNREACHABLE);
            }
        }
        prepared.clear();
        return activated;
    }

    /**
     * Takes a session the process this one took over handed over, with its upstream socket
     * {@code fd}, read from now on. It keeps its target if the target is still in the listener's
     * group; otherwise, or at the session cap, the socket is closed and false returned.
     */
    boolean adopt(TakeoverProtocol.SessionState state, int fd, long nowNanos) {
        if (take(state, fd, nowNanos, true) == null) {
            return false;
        }
        counters.increment(ListenerCounter.SESSIONS_ADOPTED);
        return true;
    }

    private UdpSession take(TakeoverProtocol.SessionState state, int fd, long nowNanos, boolean poll) {
        UdpLoopSettings s = settings;
        TargetGroup group = s.group();
        Target target = null;
        for (Target t : group.targets()) {
            if (t.socketAddress().equals(state.target())) {
                target = t;
                break;
            }
        }
        ClientAddress key = ClientAddress.of(state.client());
        if (target == null || table.get(key) != null || !budget.tryAcquire()) {
            Descriptors.close(fd);
            return null;
        }
        long quiet = TimeUnit.MILLISECONDS.toNanos(state.quietMillis());
        UdpSession session = new UdpSession(state.client(), key, group, target, nowNanos - quiet);
        try {
            session.replyCapacity = s.receiveCapacity();
            session.upstream = upstreams.adopt(session, fd, session.replyCapacity, poll);
        } catch (IOException | RuntimeException e) {
            budget.release();
            listener.warnRateLimited("cannot take over a UDP session of " + state.client() + ": " + e.getMessage());
            Descriptors.close(fd);
            return null;
        }
        if (s.udp().maxSessionsPerClient() > 0) {
            // It exists already: counted whatever the limit, so its end is counted off.
            session.countedAs = ClientKey.of(state.client().getAddress(), s.clientPrefix());
            listener.clients().open(session.countedAs);
        }
        session.connected = true;
        session.requests = state.requests();
        session.responses = state.responses();
        session.replied = state.replied();
        session.proxyHeader = state.proxyHeader();
        target.udpSessionOpened();
        table.put(key, session);
        // Its record here starts at the takeover: the process taken over wrote one ending "handed_over".
        session.startNanos = nowNanos;
        startLogging(session, Route.NONE);
        return session;
    }

    /** Stops the sweep (the listener socket closed). */
    void stop() {
        if (sweep != null) {
            sweep.cancel(false);
        }
    }
}
