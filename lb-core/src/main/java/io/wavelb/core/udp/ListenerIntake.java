package io.wavelb.core.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.wavelb.core.linux.LibC;
import io.wavelb.core.linux.MessageBatch;
import io.wavelb.core.session.ClientAddress;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.transport.SocketCopy;
import java.io.IOException;

/**
 * One loop's listener socket read with wavelb's own {@code recvmmsg}: a copy of the channel's
 * descriptor registered with the loop's epoll set beside it (the channel itself no longer reads),
 * {@link MessageBatch} headers and one receive area made once, each sender decoded into one
 * reused {@link ClientAddress} probe, and each datagram copied into a pooled buffer of its own
 * size. So a datagram of a known client costs no Java object: Netty's read made a sender address,
 * an envelope and a slice per datagram (benchmarks/README.md, "Bytes allocated per forwarded
 * datagram"). Replies leave through the same descriptor ({@link BatchedReplies}).
 *
 * <p>Level-triggered: an event takes up to {@link #CALLS_PER_EVENT} receive calls and leaves the
 * rest for the next loop turn, so a flood on the listener cannot starve the loop's upstream
 * sockets. Bounds: the receive area is {@code batch × (max_datagram_size + 1)} bytes of pooled
 * direct memory, held for the socket's life (147 KiB per loop at the default 9,216 and 16; 1 MiB
 * at the largest size), counted in the memory budget like every buffer; the message headers and
 * addresses under 2 KiB of native memory for receiving (16 messages) and 7 KiB for replies ({@link BatchedReplies}: 64).
 *
 * <p>Every method runs on the owning loop.
 */
final class ListenerIntake implements EpollIoHandle {

    /** Receive calls per readiness event (each up to the batch). */
    static final int CALLS_PER_EVENT = 4;

    /** What the intake hands each datagram to: the loop's handler. */
    interface Receiver {
        /** A datagram of {@code size} bytes from {@code sender} (a probe, valid during the call); ownership passes. */
        void received(ClientAddress sender, ByteBuf data);

        /** A datagram longer than the listener's limit: counted, never forwarded. */
        void oversize();

        /** No buffer within the memory budget for a datagram; it is dropped. */
        void noMemory(OutOfMemoryError e);

        /** The end of a readiness event's reads: flush what they queued upstream. */
        void readComplete();
    }

    private final SocketCopy copy;
    private final Socket socket;
    private final Receiver receiver;
    private final LoopCounters counters;
    private final ByteBufAllocator alloc;
    private final MessageBatch in;
    private final BatchedReplies replies;
    private final ClientAddress probe = ClientAddress.probe();
    private ByteBuf area;
    private int slot;
    private int maxDatagramSize;
    private boolean reading;
    private boolean closed;

    private ListenerIntake(SocketCopy copy, Receiver receiver, LoopCounters counters, ByteBufAllocator alloc, int batch,
                           BatchedReplies replies) {
        this.copy = copy;
        this.socket = copy.socket();
        this.receiver = receiver;
        this.counters = counters;
        this.alloc = alloc;
        this.in = new MessageBatch(batch);
        this.replies = replies;
    }

    /**
     * Registers a copy of {@code listenerFd} with {@code loop} (the calling thread's), reading
     * when {@code read}, else once {@link #reading} says so.
     *
     * @throws IOException when the descriptor cannot be copied or registered, or no receive area
     *         fits the budget (nothing is left open then)
     */
    static ListenerIntake open(IoEventLoop loop, int listenerFd, Receiver receiver, UdpListener listener,
                               LoopCounters counters, ByteBufAllocator alloc, int batch, int maxDatagramSize, boolean read)
            throws IOException {
        SocketCopy copy = SocketCopy.of(listenerFd);
        int fd = copy.socket().intValue();
        BatchedReplies replies = null;
        ListenerIntake intake = null;
        try {
            boolean v6 = LibC.socketDomain(fd) == LibC.AF_INET6;
            replies = new BatchedReplies(fd, v6, listener, counters, loop, alloc);
            intake = new ListenerIntake(copy, receiver, counters, alloc, batch, replies);
            intake.resize(maxDatagramSize);
            copy.register(loop, intake, "the listener socket's copy");
            intake.reading(read);
            return intake;
        } catch (IOException | RuntimeException | OutOfMemoryError e) {
            if (intake != null) {
                intake.close();
            } else {
                if (replies != null) {
                    replies.close();
                }
                copy.close();
            }
            throw e instanceof IOException io ? io : new IOException(e.toString(), e);
        }
    }

    BatchedReplies replies() {
        return replies;
    }

    /**
     * Sizes the receive area for datagrams of up to {@code maxDatagramSize} bytes plus the one
     * byte that reveals a longer one (at start, and when a reload changes the limit).
     */
    void resize(int maxDatagramSize) {
        if (area != null && maxDatagramSize == this.maxDatagramSize) {
            return;
        }
        int newSlot = maxDatagramSize + 1;
        ByteBuf newArea = alloc.directBuffer(newSlot * in.capacity(), newSlot * in.capacity());
        if (!newArea.hasMemoryAddress()) {
            newArea.release();
            throw new IllegalStateException("the allocator's direct buffers have no memory address");
        }
        if (area != null) {
            area.release();
        }
        area = newArea;
        slot = newSlot;
        this.maxDatagramSize = maxDatagramSize;
        for (int i = 0; i < in.capacity(); i++) {
            in.buffer(i, area.memoryAddress() + (long) i * slot, slot);
        }
    }

    /** The largest datagram the receive area takes (without the byte that reveals a longer one). */
    int maxDatagramSize() {
        return maxDatagramSize;
    }

    /** Starts or stops reading (a takeover freezes the listener; its socket's queue holds what comes). */
    void reading(boolean read) {
        if (closed || read == reading) {
            return;
        }
        reading = read;
        copy.pollIn(read);
    }

    @Override
    public FileDescriptor fd() {
        return socket;
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        if (closed) {
            return;
        }
        EpollIoOps ops = ((EpollIoEvent) event).ops();
        if (ops.contains(EpollIoOps.EPOLLIN) && reading) {
            read();
        }
        if (ops.contains(EpollIoOps.EPOLLERR)) {
            // Take a pending error off the socket, or level-triggered epoll reports it forever.
            try {
                socket.getSoError();
            } catch (IOException e) {
                // Nothing to clear.
            }
        }
    }

    private void read() {
        int batch = in.capacity();
        try {
            for (int call = 0; call < CALLS_PER_EVENT && !closed && reading; call++) {
                int n = in.receive(socket.intValue());
                if (n < 0) {
                    if (n == -LibC.EINTR) {
                        continue;
                    }
                    if (n != -LibC.EAGAIN) {
                        counters.increment(ListenerCounter.DROPPED_SOCKET_ERROR);
                    }
                    return;
                }
                for (int i = 0; i < n; i++) {
                    deliver(i);
                }
                if (n < batch) {
                    return;
                }
            }
        } finally {
            receiver.readComplete();
        }
    }

    private void deliver(int i) {
        int length = in.length(i);
        if (length > maxDatagramSize || in.truncated(i)) {
            receiver.oversize();
            return;
        }
        if (!in.sender(i, probe)) {
            return;
        }
        ByteBuf data;
        try {
            data = alloc.directBuffer(length);
        } catch (OutOfMemoryError e) {
            receiver.noMemory(e);
            return;
        }
        data.writeBytes(area, i * slot, length);
        receiver.received(probe, data);
    }

    /**
     * Stops for good: the copy out of the epoll set and closed ({@link SocketCopy#close}), the
     * memory freed. Also what the loop calls at its shutdown for every handle still registered.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        copy.close();
        replies.close();
        if (area != null) {
            area.release();
            area = null;
        }
        in.close();
    }
}
