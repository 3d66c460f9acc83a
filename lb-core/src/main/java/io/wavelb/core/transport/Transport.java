package io.wavelb.core.transport;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.function.Supplier;

/**
 * The one transport seam: which Netty I/O handler and channel classes the data plane runs on.
 * Everything transport-specific (SO_REUSEPORT, epoll-only options) is asked of this class.
 */
public final class Transport {

    private final String name;
    private final IoHandlerFactory ioHandlerFactory;
    private final Supplier<DatagramChannel> datagramChannels;
    private final Class<? extends ServerSocketChannel> serverSocketChannelClass;
    private final Class<? extends SocketChannel> socketChannelClass;
    private final boolean reusePort;

    private Transport(String name, IoHandlerFactory ioHandlerFactory, Supplier<DatagramChannel> datagramChannels,
                      Class<? extends ServerSocketChannel> serverSocketChannelClass,
                      Class<? extends SocketChannel> socketChannelClass, boolean reusePort) {
        this.name = name;
        this.ioHandlerFactory = ioHandlerFactory;
        this.datagramChannels = datagramChannels;
        this.serverSocketChannelClass = serverSocketChannelClass;
        this.socketChannelClass = socketChannelClass;
        this.reusePort = reusePort;
    }

    /**
     * Resolves the configured transport. {@code AUTO} takes epoll where the native library loads
     * and NIO otherwise; asking for epoll or io_uring explicitly fails loudly when it is unavailable.
     */
    public static Transport select(io.wavelb.config.Transport wanted) {
        return switch (wanted) {
            case AUTO -> Epoll.isAvailable() ? epoll() : nio();
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("transport epoll is not available: " + Epoll.unavailabilityCause());
                }
                yield epoll();
            }
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalStateException("transport io_uring is not available: " + IoUring.unavailabilityCause());
                }
                yield ioUring();
            }
            case NIO -> nio();
        };
    }

    private static Transport epoll() {
        return new Transport("epoll", EpollIoHandler.newFactory(), EpollDatagramChannel::new,
                EpollServerSocketChannel.class, EpollSocketChannel.class, true);
    }

    private static Transport ioUring() {
        return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringDatagramChannel::new,
                IoUringServerSocketChannel.class, IoUringSocketChannel.class, true);
    }

    private static Transport nio() {
        return new Transport("nio", NioIoHandler.newFactory(), NioDatagramChannel::new,
                NioServerSocketChannel.class, NioSocketChannel.class, false);
    }

    public String name() {
        return name;
    }

    /** One event loop per {@code threads} (0: one per core), threads named {@code wavelb-loop-N}. */
    public EventLoopGroup newEventLoopGroup(int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory("wavelb-loop", false), ioHandlerFactory);
    }

    /** A new, unregistered datagram channel (the socket is created here: may throw when out of descriptors). */
    public DatagramChannel newDatagramChannel() {
        return datagramChannels.get();
    }

    public Class<? extends ServerSocketChannel> serverSocketChannelClass() {
        return serverSocketChannelClass;
    }

    public Class<? extends SocketChannel> socketChannelClass() {
        return socketChannelClass;
    }

    /**
     * Whether one socket per event loop can share a port (SO_REUSEPORT). NIO cannot set it, so
     * there each listener gets a single socket on one loop.
     */
    public boolean supportsReusePort() {
        return reusePort;
    }
}
