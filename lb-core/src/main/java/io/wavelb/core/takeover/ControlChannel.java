package io.wavelb.core.takeover;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.unix.DomainSocketReadMode;
import io.netty.channel.unix.FileDescriptor;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.wavelb.core.listener.Descriptors;
import io.wavelb.core.transport.CloseFromRead;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One end of a takeover conversation on the control Unix socket: length-prefixed JSON frames
 * ({@link TakeoverProtocol}) and descriptors (SCM_RIGHTS). The conversation itself runs on a
 * plain thread that waits here with a deadline for what the event loop received; the loop only
 * frames and queues. Descriptors are read only between {@link #expectDescriptors} and the last
 * one asked for: a descriptor arriving while the channel reads bytes would be lost, which is why
 * the protocol never sends one unasked.
 */
public final class ControlChannel implements AutoCloseable {

    /** Frames and descriptors queued unread: far above what a conversation has in flight (the descriptors asked for). */
    static final int MAX_QUEUED = 1 << 20;
    private static final Object CLOSED = new Object();

    private final EpollDomainSocketChannel channel;
    private final LinkedBlockingQueue<Object> inbox = new LinkedBlockingQueue<>(MAX_QUEUED);

    private ControlChannel(EpollDomainSocketChannel channel) {
        this.channel = channel;
    }

    /** The handlers a control connection needs; {@code ready} receives the channel's end once active. */
    static ChannelInitializer<EpollDomainSocketChannel> initializer(Consumer<ControlChannel> ready) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(EpollDomainSocketChannel ch) {
                ControlChannel end = new ControlChannel(ch);
                ChannelPipeline p = ch.pipeline();
                p.addLast(new LengthFieldBasedFrameDecoder(TakeoverProtocol.MAX_FRAME_BYTES, 0, 4, 0, 4));
                p.addLast(new LengthFieldPrepender(4));
                p.addLast(end.new Inbound(ready));
            }
        };
    }

    private final class Inbound extends ChannelInboundHandlerAdapter {
        private final Consumer<ControlChannel> ready;

        Inbound(Consumer<ControlChannel> ready) {
            this.ready = ready;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ready.accept(ControlChannel.this);
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Object item;
            if (msg instanceof ByteBuf frame) {
                item = frame.toString(StandardCharsets.UTF_8);
                frame.release();
            } else if (msg instanceof FileDescriptor fd) {
                item = fd.intValue();
            } else {
                return;
            }
            if (!inbox.offer(item)) {
                if (item instanceof Integer fd) {
                    Descriptors.close(fd);
                }
                // Reading descriptors, Netty's read loop would go on after a plain close.
                CloseFromRead.close(ctx.channel());
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            inbox.offer(CLOSED);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // A frame over the limit or a read error: the conversation is over; the reader sees the close.
            ctx.close();
        }
    }

    /** The peer said nothing before the deadline. */
    static final class NoAnswer extends IOException {

        NoAnswer(Duration timeout) {
            super("no answer within " + timeout.toSeconds() + " s");
        }
    }

    /** The peer's user id, from the kernel (SO_PEERCRED). */
    int peerUid() throws IOException {
        return channel.peerCredentials().uid();
    }

    Channel channel() {
        return channel;
    }

    public void send(TakeoverProtocol.Message message, Duration timeout) throws IOException {
        ByteBuf frame = Unpooled.copiedBuffer(TakeoverProtocol.encode(message), StandardCharsets.UTF_8);
        await(channel.writeAndFlush(frame), timeout, "sending " + message.getClass().getSimpleName());
    }

    /** Sends each descriptor (a copy: ours stays open) in order. */
    public void sendDescriptors(List<Integer> fds, Duration timeout) throws IOException {
        ChannelFuture last = null;
        for (int fd : fds) {
            last = channel.write(new FileDescriptor(fd));
        }
        channel.flush();
        if (last != null) {
            await(last, timeout, "sending " + fds.size() + " descriptor(s)");
        }
    }

    /** From now on, reads descriptors instead of bytes: call before asking the peer for them. */
    public void expectDescriptors() {
        channel.config().setReadMode(DomainSocketReadMode.FILE_DESCRIPTORS);
    }

    /**
     * Waits for {@code count} descriptors (after {@link #expectDescriptors} and the request), then
     * reads bytes again. On the peer's close or the deadline, returns those received so far.
     */
    public List<Integer> receiveDescriptors(int count, Duration timeout) throws IOException {
        List<Integer> fds = new ArrayList<>(Math.min(count, 1 << 16));
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (fds.size() < count) {
                Object item = poll(deadline);
                if (item == null || item == CLOSED) {
                    if (item == CLOSED) {
                        inbox.offer(CLOSED);
                    }
                    break;
                }
                if (item instanceof Integer fd) {
                    fds.add(fd);
                } else {
                    throw new IOException("expected a descriptor, got a message");
                }
            }
        } finally {
            channel.config().setReadMode(DomainSocketReadMode.BYTES);
        }
        return fds;
    }

    /**
     * The next message.
     *
     * @throws EOFException when the peer closed the connection
     * @throws IOException on the deadline, or a descriptor where a message was due
     */
    public TakeoverProtocol.Message receive(Duration timeout) throws IOException, TakeoverProtocol.ProtocolException {
        Object item = poll(System.nanoTime() + timeout.toNanos());
        if (item == null) {
            throw new NoAnswer(timeout);
        }
        if (item == CLOSED) {
            inbox.offer(CLOSED);
            throw new EOFException("the other process closed the control connection");
        }
        if (item instanceof Integer fd) {
            Descriptors.close(fd);
            throw new IOException("a descriptor arrived unasked");
        }
        return TakeoverProtocol.decode((String) item);
    }

    private Object poll(long deadlineNanos) throws IOException {
        try {
            return inbox.poll(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
    }

    private static void await(ChannelFuture f, Duration timeout, String what) throws IOException {
        if (!f.awaitUninterruptibly(timeout.toMillis())) {
            throw new IOException(what + ": not written within " + timeout.toSeconds() + " s");
        }
        if (!f.isSuccess()) {
            StringBuilder why = new StringBuilder(String.valueOf(f.cause().getMessage()));
            for (Throwable c = f.cause().getCause(); c != null; c = c.getCause()) {
                why.append(": ").append(c);
            }
            throw new IOException(what + ": " + why, f.cause());
        }
    }

    /** Closes the connection; descriptors received and not taken are closed too. */
    @Override
    public void close() {
        channel.close().awaitUninterruptibly(1000);
        Object item;
        while ((item = inbox.poll()) != null) {
            if (item instanceof Integer fd) {
                Descriptors.close(fd);
            }
        }
    }
}
