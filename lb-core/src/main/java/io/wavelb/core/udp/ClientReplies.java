package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.wavelb.core.session.ClientAddress;
import java.net.InetSocketAddress;

/**
 * Replies on their way back to clients, from one loop's listener socket, sent together once per
 * loop turn. Used by the loop's {@link UdpSessions} only.
 */
interface ClientReplies {

    /** Whether the listener socket takes more: a client that does not read fills it, and replies are dropped. */
    boolean writable();

    /**
     * Sends {@code content} to {@code client} ({@code key} is the same address; ownership of
     * {@code content} passes), counted; false when it is already known to be dropped (counted as
     * {@code client_busy}).
     */
    boolean send(InetSocketAddress client, ClientAddress key, ByteBuf content);
}
