package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;

/** Replies from a session's target on a {@link ChannelUpstream}, reported to the session's owner. */
final class UdpUpstreamHandler extends ChannelInboundHandlerAdapter {

    private final UpstreamEvents events;
    private final UdpSession session;

    UdpUpstreamHandler(UpstreamEvents events, UdpSession session) {
        this.events = events;
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf content = ((DatagramPacket) msg).content();
        if (session.closed) {
            // Read in the same batch as the reply that ended the session: the channel is closing.
            content.release();
            return;
        }
        events.reply(session, content);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A connected UDP socket learns of ICMP port-unreachable as ECONNREFUSED on its next read:
        // the target is not listening, so the session is useless and the next datagram re-picks.
        if (!session.closed) {
            events.refused(session);
        }
    }
}
