package io.wavelb.core.transport;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;

/**
 * Closes a Netty channel from inside its own {@code channelRead} without a read after the close.
 *
 * <p>Netty's epoll datagram channel, and its domain socket channel while it reads descriptors
 * (4.2.18), keep reading after a handler closes them in {@code channelRead}: the read loop makes up
 * to max-messages-per-read more calls on the closed descriptor number. By then another thread may
 * hold that number (another loop's new session socket or health probe). The read then takes that
 * socket's data, or, on a blocking socket, stops the event loop for good: every flow and probe on
 * it, and a shutdown that waits for it. Netty's byte-stream channels check for a close in their
 * read loop; these do not. With auto-read off first, the read loop ends after the message being
 * handled.
 */
public final class CloseFromRead {

    private CloseFromRead() {
    }

    public static ChannelFuture close(Channel channel) {
        channel.config().setAutoRead(false);
        return channel.close();
    }
}
