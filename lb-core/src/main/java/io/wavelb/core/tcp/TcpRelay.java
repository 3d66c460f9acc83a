package io.wavelb.core.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import java.util.ArrayDeque;

/**
 * Copies bytes from one TCP channel to its peer: used on both sides of a proxied connection.
 *
 * <p>Backpressure is by read control, never by queueing: the channel reads only while the peer is
 * writable (Netty's write-buffer water marks), and the peer's writability change resumes reading.
 * Writes happen in {@code channelRead} and are flushed once per read batch in
 * {@code channelReadComplete}. A FIN from one side becomes {@code shutdownOutput} on the other
 * (half-close), so request/response protocols that signal "done" with a FIN keep working.
 */
final class TcpRelay extends ChannelInboundHandlerAdapter {

    private final TcpConnection connection;
    private final boolean clientSide;
    private final ListenerCounter bytesCounter;
    private final LoopCounters counters;
    private Channel peer;
    /**
     * Bytes read before the target connected. AUTO_READ is off until then, but when the client's
     * FIN arrives early the epoll transport still drains the socket (EPOLLRDHUP), so what it reads
     * must be kept, not dropped. Bounded by the socket receive buffer.
     */
    private ArrayDeque<Object> early;
    private boolean inputShutdownEarly;

    TcpRelay(TcpConnection connection, boolean clientSide, LoopCounters counters) {
        this.connection = connection;
        this.clientSide = clientSide;
        this.bytesCounter = clientSide ? ListenerCounter.BYTES_RX : ListenerCounter.BYTES_TX;
        this.counters = counters;
    }

    /** Starts relaying to {@code peer} and reads the first batch. */
    void start(Channel self, Channel peer) {
        this.peer = peer;
        if (early != null) {
            Object m;
            while ((m = early.poll()) != null) {
                peer.write(m, peer.voidPromise());
            }
            peer.flush();
        }
        if (inputShutdownEarly) {
            propagateShutdown();
        } else {
            self.read();
        }
    }

    /** Releases what was read before a peer existed, when the connection ends before it started. */
    void discardEarly() {
        if (early != null) {
            Object m;
            while ((m = early.poll()) != null) {
                ReferenceCountUtil.release(m);
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        int bytes = ((ByteBuf) msg).readableBytes();
        counters.add(bytesCounter, bytes);
        connection.read(clientSide, bytes);
        if (peer == null) {
            if (early == null) {
                early = new ArrayDeque<>(2);
            }
            early.add(msg);
            return;
        }
        if (!peer.isActive()) {
            ReferenceCountUtil.release(msg);
            return;
        }
        peer.write(msg, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (peer == null) {
            return;
        }
        connection.lastActivityNanos = System.nanoTime();
        peer.flush();
        if (peer.isWritable()) {
            ctx.channel().read();
        }
        // else: the peer's channelWritabilityChanged resumes us once its buffer drains.
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        if (clientSide) {
            connection.accepted();
        }
        ctx.fireChannelActive();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable() && peer != null && peer.isActive()) {
            // A backed-up side took its bytes: activity for the idle timeout, as a read would be.
            connection.lastActivityNanos = System.nanoTime();
            peer.read();
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            if (peer == null) {
                inputShutdownEarly = true;
            } else {
                propagateShutdown();
            }
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    /**
     * Passes a FIN on: flush what is queued first, then shut the peer's output. When the peer's FIN
     * came first, this one ends both directions: the connection closes (after flushing) instead, a
     * half-close there would be one system call and one Netty exception for nothing.
     */
    private void propagateShutdown() {
        if (connection.inputShutdown(clientSide)) {
            return;
        }
        if (peer instanceof DuplexChannel duplex && peer.isActive()) {
            ChannelOutboundBuffer out = peer.unsafe().outboundBuffer();
            if (out != null && out.totalPendingWriteBytes() == 0) {
                // Nothing queued (written or not yet flushed, as a PROXY header can be): no flush to wait for.
                shutdownPeerOutput(duplex);
            } else {
                peer.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener((ChannelFutureListener) f -> {
                    if (f.isSuccess()) {
                        shutdownPeerOutput(duplex);
                    } else {
                        connection.close();
                    }
                });
            }
        }
    }

    private void shutdownPeerOutput(DuplexChannel duplex) {
        if (!connection.shutdownOutput(duplex)) {
            connection.close();
            return;
        }
        // The peer's own FIN, when it comes, ends the connection: Netty then closes the channel
        // (TcpConnection.sideInactive) instead of shutting its input down, a shutdown(SHUT_RD) that
        // fails with ENOTCONN on a socket closed both ways and builds an exception for it.
        duplex.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, false);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        discardEarly();
        connection.sideInactive(clientSide);
        if (clientSide) {
            connection.clientInactive();
        } else {
            connection.backendInactive();
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof OutOfMemoryError) {
            // A read buffer over the memory budget (Netty's OutOfDirectMemoryError): this connection
            // ends and its buffers go back; the event loop and every other flow carry on.
            connection.abort(ListenerCounter.DROPPED_NO_MEMORY);
            connection.warnNoMemory(cause);
            return;
        }
        // Resets and broken pipes are ordinary ends of a TCP flow; the connection just ends.
        connection.sideClosed(clientSide);
    }
}
