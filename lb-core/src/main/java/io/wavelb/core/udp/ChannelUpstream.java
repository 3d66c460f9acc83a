package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.socket.DatagramChannel;
import io.wavelb.core.transport.CloseFromRead;
import io.wavelb.core.transport.Transport;
import java.net.InetSocketAddress;

/**
 * A session's upstream socket as a Netty datagram channel, for the transports without a native
 * path (NIO, io_uring). Registering and connecting complete later: the session holds its first
 * datagrams until {@link UpstreamEvents#connected}.
 */
final class ChannelUpstream implements Upstream {

    private static final System.Logger LOG = System.getLogger(ChannelUpstream.class.getName());

    private final DatagramChannel channel;

    private ChannelUpstream(DatagramChannel channel) {
        this.channel = channel;
    }

    /**
     * Creates the channel and starts registering and connecting it on {@code loop}.
     *
     * @throws RuntimeException when the socket cannot be created (EMFILE: out of descriptors)
     */
    static ChannelUpstream open(Transport transport, EventLoop loop, UpstreamEvents events, UdpSession session,
                                int receiveCapacity, int receiveBuffer) {
        InetSocketAddress target = session.target.socketAddress();
        DatagramChannel channel = transport.newDatagramChannel();
        channel.config().setRecvByteBufAllocator(new FixedRecvByteBufAllocator(receiveCapacity));
        if (receiveBuffer > 0) {
            channel.config().setReceiveBufferSize(receiveBuffer);
        }
        channel.pipeline().addLast(new UdpUpstreamHandler(events, session));
        // Started after this returns: registering and connecting may complete (or fail) at once on
        // the loop's own thread, and their callbacks need the session already in its table.
        loop.execute(() -> loop.register(channel).addListener((ChannelFuture registered) -> {
            if (!registered.isSuccess()) {
                events.failed(session, registered.cause());
                return;
            }
            channel.connect(target).addListener((ChannelFuture connected) -> {
                if (!connected.isSuccess()) {
                    events.failed(session, connected.cause());
                    return;
                }
                events.connected(session);
            });
        }));
        return new ChannelUpstream(channel);
    }

    @Override
    public boolean connectedAtOpen() {
        return false;
    }

    /** Netty's cached address: null until the channel is connected. */
    @Override
    public InetSocketAddress localAddress() {
        return channel.localAddress();
    }

    @Override
    public Outcome send(ByteBuf datagram) {
        if (!channel.isWritable()) {
            datagram.release();
            return Outcome.BUSY;
        }
        channel.write(datagram, channel.voidPromise());
        return Outcome.OK;
    }

    @Override
    public Outcome flush() {
        channel.flush();
        return Outcome.OK;
    }

    @Override
    public void close() {
        // Often called from the reply's channelRead (the reply ended the session). The channel reads
        // one datagram per event (a fresh FixedRecvByteBufAllocator), so Netty's read loop would not
        // read again; this keeps it so if that changes.
        CloseFromRead.close(channel).addListener((ChannelFuture f) -> {
            if (!f.isSuccess()) {
                LOG.log(System.Logger.Level.DEBUG, "closing upstream socket failed", f.cause());
            }
        });
    }
}
