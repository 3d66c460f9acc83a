package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.Socket;
import io.wavelb.core.session.ClientAddress;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import java.net.InetSocketAddress;

/**
 * Replies through the listener's Netty channel, where wavelb's own batched calls are not used
 * (NIO, io_uring, {@code -Dwavelb.udp.nativeListener=false}). The replies of every session on the
 * loop are flushed once per loop turn, after its I/O: on epoll Netty sends them with one
 * {@code sendmmsg}. A zero-length reply goes out with one {@code sendto} on epoll
 * ({@link EmptyDatagrams}).
 */
final class ChannelReplies implements ClientReplies {

    private final Channel listener;
    private final LoopCounters counters;
    /** The listener's socket for zero-length replies, on epoll; else null. */
    private final Socket emptyReplySender;
    private boolean needFlush;
    private final Runnable flush = this::flushNow;

    ChannelReplies(Channel listener, LoopCounters counters) {
        this.listener = listener;
        this.counters = counters;
        this.emptyReplySender = EmptyDatagrams.senderFor(listener);
    }

    @Override
    public boolean writable() {
        return listener.isWritable();
    }

    @Override
    public boolean send(InetSocketAddress client, ClientAddress key, ByteBuf content) {
        int size = content.readableBytes();
        if (size == 0 && emptyReplySender != null) {
            content.release();
            if (!EmptyDatagrams.send(emptyReplySender, client)) {
                counters.increment(ListenerCounter.DROPPED_CLIENT_BUSY);
                return false;
            }
            counters.increment(ListenerCounter.DATAGRAMS_TX);
            return true;
        }
        counters.increment(ListenerCounter.DATAGRAMS_TX);
        counters.add(ListenerCounter.BYTES_TX, size);
        listener.write(new DatagramPacket(content, client), listener.voidPromise());
        if (!needFlush) {
            needFlush = true;
            listener.eventLoop().execute(flush);
        }
        return true;
    }

    private void flushNow() {
        needFlush = false;
        listener.flush();
    }
}
