package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;

/**
 * What an {@link Upstream} reports to the owner of its session ({@link UdpSessions}), on the
 * session's event loop. The narrow way up: an upstream holds no reference to the handler or the
 * session table, only to this.
 */
interface UpstreamEvents {

    /**
     * A datagram from the target; ownership of {@code content} passes.
     *
     * @return whether the session is still open: on false the upstream stops reading (the owner
     *         ended the session and closed the upstream while handling this reply)
     */
    boolean reply(UdpSession session, ByteBuf content);

    /**
     * The target refused the session's datagrams (ICMP port unreachable, read as ECONNREFUSED on a
     * connected socket): the owner ends the session and closes the upstream; the upstream reads
     * nothing more after this returns.
     */
    void refused(UdpSession session);

    /** A socket that was not {@link Upstream#connectedAtOpen() connected at open} now is. */
    void connected(UdpSession session);

    /** A socket that was not connected at open could not be registered or connected. */
    void failed(UdpSession session, Throwable cause);

    /** A buffer for a reply could not be allocated within the memory budget: the reply was dropped. */
    void noMemory(Throwable cause);

    /**
     * A read found replies queued behind one another on the session's socket, so its queue may
     * have filled and the kernel dropped some: the owner has {@link Upstream#countKernelDrops}
     * look at its next sweep.
     */
    void queued(UdpSession session);
}
