package io.wavelb.core.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;

/**
 * Closes a Netty datagram channel, safely from inside its own {@code channelRead}.
 *
 * <p>Netty's epoll datagram channel (4.2.18) keeps reading after a handler closes it in
 * {@code channelRead}: its read loop makes up to max-messages-per-read more {@code recv} calls on
 * the closed descriptor number. By then another thread may hold that number (another loop's new
 * session socket or health probe). The read then takes that socket's datagram, or, on a blocking
 * socket, stops the event loop for good: every flow and probe on it, and a shutdown that waits for
 * it. Netty's stream channels check for a close in their read loop; its datagram channel does not.
 * With auto-read off first, the read loop ends after the datagram being handled.
 */
public final class DatagramChannelClose {

    private DatagramChannelClose() {
    }

    public static ChannelFuture close(Channel channel) {
        channel.config().setAutoRead(false);
        return channel.close();
    }
}
