package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.wavelb.core.affinity.Route;
import io.wavelb.core.health.state.ReplyWait;
import io.wavelb.core.session.ClientAddress;
import io.wavelb.core.session.ClientKey;
import io.wavelb.core.session.SessionTable;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * One UDP flow: a client address pinned to a target, with its own connected upstream socket on the
 * same event loop. The upstream socket being connected is what lets replies be matched to the
 * session without any lookup: whatever arrives on it belongs to this client. Its state is written
 * by the loop's {@link UdpSessions} only.
 */
final class UdpSession implements SessionTable.Session {

    /** Datagrams held while the upstream socket connects; beyond this they are dropped and counted. */
    static final int MAX_PENDING = 64;

    final InetSocketAddress client;
    /** The client as the loop's session table keys it. */
    final ClientAddress key;
    /** The group the target was picked from (a reload may point the listener at another one). */
    final TargetGroup group;
    final Target target;
    /** Set right after the session is made, before any datagram reaches it. */
    Upstream upstream;
    /**
     * The reply buffer its upstream socket was opened with: the limit then, plus one byte. A reload
     * may raise the limit afterwards; a reply that fills this buffer was still cut by the kernel.
     */
    int replyCapacity;
    long lastSeenNanos;
    boolean connected;
    boolean closed;
    /** Set when a datagram was written upstream and not yet flushed in this read batch. */
    boolean needsFlush;
    /** Client datagrams forwarded and target datagrams returned: the session-end hints count these. */
    long requests;
    long responses;
    /**
     * Let go of its client address after {@code max_requests}: out of the table (the client's next
     * datagram starts a new session), still open for the replies that are due.
     */
    boolean unbound;
    /**
     * Passive health by replies (owned by the loop's sweep): the first reply reports a success at
     * once, later ones mark the session in the loop's answered list, which the sweep turns into one
     * success per target; {@code unansweredSinceNanos} is a {@link ReplyWait}
     * state, watched when the group sets {@code udp_reply_timeout}.
     */
    boolean replied;
    boolean answeredThisSweep;
    /** Whether the session is on its loop's list for a look at its socket's drop count at the next sweep. */
    boolean queueWatched;
    boolean awaitingWatched;
    long unansweredSinceNanos = ReplyWait.ANSWERED;
    /** The client as {@code udp.max_sessions_per_client} counts it, or null when it was not counted. */
    ClientKey countedAs;
    /**
     * Flow log: whether this session is logged (sampled once, when it starts), when it started
     * (wall clock, for the record; {@link #startNanos} for its duration), how its first datagram
     * was routed, and what it carried each way. Plain fields, written by the loop: no allocation
     * per datagram.
     */
    boolean logged;
    long startMillis;
    long startNanos;
    Route route = Route.NONE;
    long datagramsFromClient;
    long bytesFromClient;
    long datagramsToClient;
    long bytesToClient;
    /** PROXY v2 header put in front of every datagram to the target, or null. */
    byte[] proxyHeader;
    /**
     * {@code udp.mode: per_packet}: the client's session in the table (this one, unless this is a
     * leg). A leg is the client's socket towards one more target: out of the table, ended with its
     * head, counting its datagrams and replies on the head.
     */
    final UdpSession head;
    /** Of a head: its legs, one per other target the client's datagrams went to; null until the first. */
    private UdpSession[] legs;
    private int legCount;
    private ArrayDeque<ByteBuf> pending;

    UdpSession(InetSocketAddress client, ClientAddress key, TargetGroup group, Target target, long nowNanos) {
        this.client = client;
        this.key = key;
        this.group = group;
        this.target = target;
        this.lastSeenNanos = nowNanos;
        this.startNanos = nowNanos;
        this.head = this;
    }

    /** A leg of {@code head} towards {@code target}. */
    UdpSession(UdpSession head, Target target, long nowNanos) {
        this.client = head.client;
        this.key = head.key;
        this.group = head.group;
        this.target = target;
        this.lastSeenNanos = nowNanos;
        this.startNanos = nowNanos;
        this.head = head;
        this.proxyHeader = head.proxyHeader;
    }

    boolean isLeg() {
        return head != this;
    }

    /** Of a head: its leg towards {@code to}, or null. A scan: legs are at most the group's targets. */
    UdpSession leg(Target to) {
        for (int i = 0; i < legCount; i++) {
            if (legs[i].target == to) {
                return legs[i];
            }
        }
        return null;
    }

    void addLeg(UdpSession leg) {
        if (legs == null) {
            legs = new UdpSession[4];
        } else if (legCount == legs.length) {
            legs = Arrays.copyOf(legs, legCount * 2);
        }
        legs[legCount++] = leg;
    }

    void removeLeg(UdpSession leg) {
        for (int i = 0; i < legCount; i++) {
            if (legs[i] == leg) {
                legs[i] = legs[--legCount];
                legs[legCount] = null;
                return;
            }
        }
    }

    int legCount() {
        return legCount;
    }

    /** Of a head: takes its legs away (the caller ends them), or null when it has none. */
    UdpSession[] takeLegs() {
        if (legCount == 0) {
            return null;
        }
        UdpSession[] taken = Arrays.copyOf(legs, legCount);
        Arrays.fill(legs, 0, legCount, null);
        legCount = 0;
        return taken;
    }

    @Override
    public Object target() {
        return target;
    }

    @Override
    public long lastSeenNanos() {
        return lastSeenNanos;
    }

    /** Queues a datagram until the upstream socket is connected; false (and nothing taken) when full. */
    boolean hold(ByteBuf datagram) {
        if (pending == null) {
            pending = new ArrayDeque<>(4);
        }
        if (pending.size() >= MAX_PENDING) {
            return false;
        }
        pending.add(datagram);
        return true;
    }

    /** Takes the next held datagram, or null. */
    ByteBuf nextHeld() {
        return pending == null ? null : pending.poll();
    }

    /** Releases held datagrams that will never be sent. */
    void releaseHeld() {
        if (pending != null) {
            ByteBuf b;
            while ((b = pending.poll()) != null) {
                b.release();
            }
        }
    }
}
