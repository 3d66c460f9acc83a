package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;

/**
 * A session's own connected socket towards its target. Two kinds: on epoll, a bare socket the
 * event loop polls ({@link NativeUpstream}: no channel, no pipeline, eight system calls per
 * one-shot flow); elsewhere, a Netty datagram channel ({@link ChannelUpstream}). Replies come back
 * through {@link UdpLoopHandler#replyToClient}; a refused target through
 * {@link UdpLoopHandler#targetRefused}.
 */
sealed interface Upstream permits NativeUpstream, ChannelUpstream {

    /** {@link #send} handed the datagram to the kernel. */
    int SENT = 0;
    /** {@link #send} queued it: it leaves with the next {@link #flush}. */
    int QUEUED = 1;
    /** {@link #send} dropped it: the socket's send queue is full (the caller counts it). */
    int BUSY = 2;
    /** {@link #send} dropped it: the socket failed, and the session was closed. */
    int FAILED = 3;

    /** Sends one datagram, or queues it until {@link #flush}; takes ownership of it either way. */
    int send(ByteBuf datagram);

    /** Sends what {@link #send} queued. */
    void flush();

    /** Closes the socket; idempotent. */
    void close();
}
