package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.wavelb.core.linux.LibC;
import io.wavelb.core.linux.MessageBatch;
import io.wavelb.core.session.ClientAddress;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import java.net.InetSocketAddress;

/**
 * Replies to clients sent with wavelb's own {@code sendmmsg} on the listener socket: queued in a
 * fixed array of {@link #CAPACITY} messages, their destinations written straight from the
 * sessions' keys, and sent together at the end of the loop turn (or as soon as the array is full).
 * Nothing waits in user space beyond that turn: a socket whose send queue is full (EAGAIN) drops
 * the rest of the batch, counted as {@code client_busy}, as UDP would; a reply the kernel refuses
 * for itself (a firewall's EPERM, EMSGSIZE, no route) is dropped alone, counted as
 * {@code socket_error}. Zero-length replies go out like any other. Every method runs on the owning loop.
 */
final class BatchedReplies implements ClientReplies {

    /** Replies per {@code sendmmsg}; the bound of what waits for the end of the loop turn. */
    static final int CAPACITY = 64;

    private final int fd;
    private final boolean v6Socket;
    private final UdpListener listener;
    private final LoopCounters counters;
    private final EventLoop loop;
    private final ByteBufAllocator alloc;
    private final MessageBatch out = new MessageBatch(CAPACITY);
    private final ByteBuf[] queued = new ByteBuf[CAPACITY];
    private final Runnable flush = this::flush;
    private int count;
    private boolean flushScheduled;
    private boolean closed;

    /** @param fd the listener socket (a copy the intake owns), of family IPv6 when {@code v6Socket} */
    BatchedReplies(int fd, boolean v6Socket, UdpListener listener, LoopCounters counters, EventLoop loop,
                   ByteBufAllocator alloc) {
        this.fd = fd;
        this.v6Socket = v6Socket;
        this.listener = listener;
        this.counters = counters;
        this.loop = loop;
        this.alloc = alloc;
    }

    @Override
    public boolean writable() {
        return !closed;
    }

    @Override
    public boolean send(InetSocketAddress client, ClientAddress key, ByteBuf content) {
        if (closed) {
            content.release();
            counters.increment(ListenerCounter.DROPPED_CLIENT_BUSY);
            return false;
        }
        if (!content.hasMemoryAddress()) {
            // Not from the loop's pooled direct buffers (none of wavelb's own paths does this): a copy the call can point at.
            ByteBuf direct;
            try {
                direct = alloc.directBuffer(content.readableBytes());
            } catch (OutOfMemoryError e) {
                content.release();
                counters.increment(ListenerCounter.DROPPED_NO_MEMORY);
                return false;
            }
            direct.writeBytes(content);
            content.release();
            content = direct;
        }
        if (count == CAPACITY) {
            flush();
        }
        out.recipient(count, key, v6Socket);
        out.buffer(count, content.memoryAddress() + content.readerIndex(), content.readableBytes());
        queued[count++] = content;
        if (!flushScheduled) {
            flushScheduled = true;
            loop.execute(flush);
        }
        return true;
    }

    /** Sends what is queued; what the socket refuses is dropped and counted. */
    void flush() {
        flushScheduled = false;
        int first = 0;
        while (first < count) {
            int sent = out.send(fd, first, count - first);
            if (sent > 0) {
                done(first, sent, null);
                first += sent;
            } else if (sent == -LibC.EINTR) {
                continue;
            } else if (sent == -LibC.EAGAIN || sent == -LibC.ENOBUFS) {
                // The client side of the socket is full: what is left would fail the same way now.
                done(first, count - first, ListenerCounter.DROPPED_CLIENT_BUSY);
                first = count;
            } else {
                // This one reply was refused (a firewall's EPERM, EMSGSIZE, no route): the next may not be.
                listener.warnRateLimited("UDP reply to a client refused by the kernel, errno ", -sent, "; dropped", "");
                done(first, 1, ListenerCounter.DROPPED_SOCKET_ERROR);
                first++;
            }
        }
        count = 0;
    }

    /** Releases {@code n} replies from {@code first}: sent when {@code dropped} is null, else dropped for it. */
    private void done(int first, int n, ListenerCounter dropped) {
        for (int i = first; i < first + n; i++) {
            ByteBuf b = queued[i];
            queued[i] = null;
            if (dropped == null) {
                counters.increment(ListenerCounter.DATAGRAMS_TX);
                counters.add(ListenerCounter.BYTES_TX, b.readableBytes());
            } else {
                counters.increment(dropped);
            }
            b.release();
        }
    }

    /** The listener socket is going away: what is queued is dropped, the native array freed. */
    void close() {
        if (closed) {
            return;
        }
        closed = true;
        done(0, count, ListenerCounter.DROPPED_CLIENT_BUSY);
        count = 0;
        out.close();
    }
}
