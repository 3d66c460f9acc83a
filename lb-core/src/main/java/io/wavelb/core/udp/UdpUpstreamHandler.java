package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DatagramPacket;

/** Replies from a session's target on a {@link ChannelUpstream}, sent back to the client from the listener's socket. */
final class UdpUpstreamHandler extends ChannelInboundHandlerAdapter {

    private final UdpLoopHandler loop;
    private final UdpSession session;

    UdpUpstreamHandler(UdpLoopHandler loop, UdpSession session) {
        this.loop = loop;
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf content = ((DatagramPacket) msg).content();
        if (session.closed) {
            content.release();
            return;
        }
        loop.replyToClient(session, content);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A connected UDP socket learns of ICMP port-unreachable as ECONNREFUSED on its next read:
        // the target is not listening, so the session is useless and the next datagram re-picks.
        loop.targetRefused(session);
    }
}
