package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;

/**
 * A session's own connected socket towards its target. Two kinds: on epoll, a bare socket the
 * event loop polls ({@link NativeUpstream}: no channel, no pipeline, eight system calls per
 * one-shot flow); elsewhere, a Netty datagram channel ({@link ChannelUpstream}). What the socket
 * hears (replies, a refusing target) it reports through {@link UpstreamEvents}; what its sends did
 * it returns as an {@link Outcome}, so a failed send never calls back into the session's owner in
 * the middle of the send: the owner reads the outcome and ends the session afterwards.
 */
interface Upstream {

    /** What {@link #send} or {@link #flush} did with the datagrams. */
    enum Outcome {
        /** Taken: handed to the kernel, or queued until the next {@link #flush}. */
        OK,
        /** Dropped: the socket's send queue is full (the caller counts it; the session goes on). */
        BUSY,
        /** Dropped: the socket failed, the target refused (ICMP port unreachable): the caller ends the session. */
        FAILED
    }

    /** Whether the socket can send right away; else it reports {@link UpstreamEvents#connected} or {@link UpstreamEvents#failed} later. */
    boolean connectedAtOpen();

    /** Sends one datagram, or queues it until {@link #flush}; takes ownership of it whatever the outcome. */
    Outcome send(ByteBuf datagram);

    /**
     * Sends what {@link #send} queued. Datagrams dropped for a full send queue are counted here;
     * {@link Outcome#FAILED} when the socket failed (the rest of the queue is dropped).
     */
    Outcome flush();

    /**
     * The socket's own address (the source the target sees), or null when it is not known yet or
     * cannot be read. A system call: for flow log records, not per datagram.
     */
    InetSocketAddress localAddress();

    /**
     * Adds what the kernel dropped on this socket since the last look to the loop's
     * {@code UDP_SESSION_KERNEL_DROPS}: a system call, for the sweep, not per datagram. Nothing
     * where the transport cannot say (a channel).
     */
    default void countKernelDrops() {
    }

    /** Closes the socket and drops what is queued; idempotent. */
    void close();
}
