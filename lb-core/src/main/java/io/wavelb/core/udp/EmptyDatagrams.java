package io.wavelb.core.udp;

import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;

/**
 * Zero-length replies to clients on epoll. They are legal UDP (RFC 768: a length of 8, the header
 * alone) and some protocols use them as keepalives, but Netty's epoll datagram channel treats a
 * write of an empty buffer as done without sending it ({@code doWriteMessage}: {@code dataLen == 0}
 * returns true). So they go out with one {@code sendto} on the listener's own socket, from the
 * address and port the client talks to.
 */
final class EmptyDatagrams {

    /** Never read: the native send takes its address, and a length of 0. Shared, its position never moves. */
    private static final ByteBuffer NOTHING = ByteBuffer.allocateDirect(1);

    private EmptyDatagrams() {
    }

    /**
     * A view of the listener's socket for {@link #send}, or null when the transport sends empty
     * datagrams itself or cannot (io_uring does; NIO skips them like epoll, a documented limit).
     * The view does not own the descriptor: it is never closed, the channel closes it.
     */
    static Socket senderFor(Channel listener) {
        return listener instanceof EpollDatagramChannel epoll ? new Socket(epoll.fd().intValue()) : null;
    }

    /** Sends a zero-length datagram to {@code client}; false when the socket's send queue is full or the send failed. */
    static boolean send(Socket listener, InetSocketAddress client) {
        try {
            return listener.sendTo(NOTHING, 0, 0, client.getAddress(), client.getPort()) >= 0;
        } catch (IOException e) {
            return false;
        }
    }
}
