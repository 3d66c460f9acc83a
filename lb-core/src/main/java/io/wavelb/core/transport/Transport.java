package io.wavelb.core.transport;

import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.unix.Socket;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringDatagramChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
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
    private final Kind kind;
    private final UdpTuning udp;
    private final ChannelFactory<SocketChannel> reflectiveSocketChannels;

    /** The transports, for the few choices that differ between them (asked through methods, never by name). */
    private enum Kind { EPOLL, IO_URING, NIO }

    private Transport(String name, IoHandlerFactory ioHandlerFactory, Supplier<DatagramChannel> datagramChannels,
                      Class<? extends ServerSocketChannel> serverSocketChannelClass,
                      Class<? extends SocketChannel> socketChannelClass, boolean reusePort, Kind kind, UdpTuning udp) {
        this.name = name;
        this.ioHandlerFactory = ioHandlerFactory;
        this.datagramChannels = datagramChannels;
        this.serverSocketChannelClass = serverSocketChannelClass;
        this.socketChannelClass = socketChannelClass;
        this.reusePort = reusePort;
        this.kind = kind;
        this.udp = udp;
        this.reflectiveSocketChannels = new ReflectiveChannelFactory<>(socketChannelClass);
    }

    /**
     * Resolves the configured transport. {@code AUTO} takes epoll where the native library loads
     * and NIO otherwise; asking for epoll or io_uring explicitly fails loudly when it is unavailable.
     */
    public static Transport select(io.wavelb.config.Transport wanted) {
        return select(wanted, UdpTuning.fromSystemProperties());
    }

    /** {@link #select(io.wavelb.config.Transport)} with the UDP knobs given rather than read from system properties. */
    public static Transport select(io.wavelb.config.Transport wanted, UdpTuning udp) {
        return switch (wanted) {
            case AUTO -> Epoll.isAvailable() ? epoll(udp) : nio(udp);
            case EPOLL -> {
                if (!Epoll.isAvailable()) {
                    throw new IllegalStateException("transport epoll is not available: " + Epoll.unavailabilityCause());
                }
                yield epoll(udp);
            }
            case IO_URING -> {
                if (!IoUring.isAvailable()) {
                    throw new IllegalStateException("transport io_uring is not available: " + IoUring.unavailabilityCause());
                }
                yield ioUring(udp);
            }
            case NIO -> nio(udp);
        };
    }

    private static Transport epoll(UdpTuning udp) {
        return new Transport("epoll", EpollIoHandler.newFactory(), EpollDatagramChannel::new,
                EpollServerSocketChannel.class, EpollSocketChannel.class, true, Kind.EPOLL, udp);
    }

    private static Transport ioUring(UdpTuning udp) {
        return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringDatagramChannel::new,
                IoUringServerSocketChannel.class, IoUringSocketChannel.class, true, Kind.IO_URING, udp);
    }

    private static Transport nio(UdpTuning udp) {
        return new Transport("nio", NioIoHandler.newFactory(), NioDatagramChannel::new,
                NioServerSocketChannel.class, NioSocketChannel.class, false, Kind.NIO, udp);
    }

    public String name() {
        return name;
    }

    /** One event loop per {@code threads} (0: one per core), threads named {@code wavelb-loop-N}. */
    public EventLoopGroup newEventLoopGroup(int threads) {
        return newEventLoopGroup(threads, java.time.Duration.ZERO);
    }

    /**
     * As {@link #newEventLoopGroup(int)}, each loop polling for {@code busyPoll} after its last I/O
     * before it sleeps ({@code runtime.busy_poll}; epoll only: elsewhere it is ignored, and
     * {@link #busyPollProblem} says so).
     */
    public EventLoopGroup newEventLoopGroup(int threads, java.time.Duration busyPoll) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        IoHandlerFactory factory = ioHandlerFactory;
        if (kind == Kind.EPOLL && !busyPoll.isZero()) {
            long spin = busyPoll.toNanos();
            factory = EpollIoHandler.newFactory(0, () -> new BusyPollStrategy(spin));
        }
        return new MultiThreadIoEventLoopGroup(n, new DefaultThreadFactory("wavelb-loop", false), factory);
    }

    /** Why {@code runtime.busy_poll} has no effect on this transport, or empty when it has. */
    public java.util.Optional<String> busyPollProblem() {
        return kind == Kind.EPOLL ? java.util.Optional.empty()
                : java.util.Optional.of("runtime.busy_poll works on epoll only (this transport is " + name + "); ignored");
    }

    /** A new, unregistered datagram channel (the socket is created here: may throw when out of descriptors). */
    public DatagramChannel newDatagramChannel() {
        return datagramChannels.get();
    }

    /**
     * Whether listeners can use sockets this process did not bind (systemd socket activation, a
     * takeover): Netty wraps an existing descriptor only in its epoll channels.
     */
    public boolean canAdoptSockets() {
        return kind == Kind.EPOLL;
    }

    /**
     * An unregistered channel on an inherited, bound UDP socket {@code fd}, already active (so it is
     * registered, not bound), put in non-blocking mode first.
     *
     * @throws IllegalStateException on a transport other than epoll
     */
    public DatagramChannel adoptDatagramChannel(int fd) throws IOException {
        requireAdoption(fd);
        NonBlockingMode.ensure(fd);
        return new EpollDatagramChannel(fd);
    }

    /** As {@link #adoptDatagramChannel}, for an inherited listening TCP socket. */
    public ServerSocketChannel adoptServerSocketChannel(int fd) throws IOException {
        requireAdoption(fd);
        NonBlockingMode.ensure(fd);
        return new EpollServerSocketChannel(fd);
    }

    private void requireAdoption(int fd) {
        if (!canAdoptSockets()) {
            throw new IllegalStateException("cannot use inherited socket fd " + fd + " on the " + name
                    + " transport: inherited sockets need runtime.transport: epoll (or auto where epoll is available)");
        }
    }

    public Class<? extends ServerSocketChannel> serverSocketChannelClass() {
        return serverSocketChannelClass;
    }

    public Class<? extends SocketChannel> socketChannelClass() {
        return socketChannelClass;
    }

    /**
     * Makes the channels that connect to {@code to}: on epoll, of {@code to}'s address family. An
     * IPv4 target gets an AF_INET socket rather than the dual-stack AF_INET6 one Netty makes by
     * default, which costs a setsockopt(IPV6_V6ONLY) per connection and the kernel's v4-mapped path.
     */
    public ChannelFactory<SocketChannel> socketChannels(InetSocketAddress to) {
        if (kind == Kind.EPOLL) {
            return to.getAddress() instanceof Inet4Address ? EPOLL_INET : EPOLL_DEFAULT;
        }
        return reflectiveSocketChannels;
    }

    private static final ChannelFactory<SocketChannel> EPOLL_INET = () -> new EpollSocketChannel(SocketProtocolFamily.INET);
    private static final ChannelFactory<SocketChannel> EPOLL_DEFAULT = EpollSocketChannel::new;

    /**
     * Whether one socket per event loop can share a port (SO_REUSEPORT). NIO cannot set it, so
     * there each listener gets a single socket on one loop.
     */
    public boolean supportsReusePort() {
        return reusePort;
    }

    /**
     * Datagrams a listener socket reads per system call: {@code recvmmsg} batches on epoll
     * ({@code wavelb.udp.receiveBatch}), one elsewhere. Measured side by side with NGINX in
     * benchmarks/README.md: about 2x the datagrams per proxy core at a fixed rate and 1.5x the new
     * flows/s of one datagram per call.
     */
    public int datagramReceiveBatch() {
        return kind == Kind.EPOLL ? udp.receiveBatch() : 1;
    }

    /**
     * Sizes a listener socket's reads for datagrams of up to {@code maxDatagramSize} bytes, plus
     * the one byte that reveals a longer one (the kernel truncates silently otherwise), times the
     * receive batch. At bind and again when a reload changes the size.
     */
    public void configureDatagramReceive(ChannelConfig config, int maxDatagramSize) {
        int batch = datagramReceiveBatch();
        config.setRecvByteBufAllocator(new FixedRecvByteBufAllocator((maxDatagramSize + 1) * batch));
        if (batch > 1) {
            config.setOption(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, maxDatagramSize + 1);
        }
    }

    /**
     * Whether UDP listener sockets are read and written with wavelb's own batched calls
     * ({@code io.wavelb.core.linux}: no object per datagram) rather than by their Netty channel:
     * epoll only, when the calls can be made here (Linux, 64-bit), unless
     * {@code -Dwavelb.udp.nativeListener=false}.
     */
    public boolean nativeUdpListener() {
        return kind == Kind.EPOLL && udp.nativeListener() && io.wavelb.core.linux.LibC.unavailable().isEmpty();
    }

    /**
     * Whether TCP connections are relayed between bare sockets registered once with the event loop
     * ({@code io.wavelb.core.tcp.NativeTcpConnection}: no channel, pipeline, promise or bootstrap per
     * connection) rather than between Netty channels: epoll only, when the few libc calls it makes
     * itself can be made here, unless {@code -Dwavelb.tcp.nativeRelay=false}.
     */
    public boolean nativeTcpRelay() {
        return kind == Kind.EPOLL && NATIVE_TCP_RELAY && io.wavelb.core.linux.LibC.unavailable().isEmpty();
    }

    private static final boolean NATIVE_TCP_RELAY = Boolean.parseBoolean(System.getProperty("wavelb.tcp.nativeRelay", "true"));

    /**
     * Whether UDP sessions get bare sockets registered with the event loop rather than Netty
     * datagram channels: epoll only, unless {@code -Dwavelb.udp.nativeUpstream=false}.
     */
    public boolean nativeUdpUpstreams() {
        return kind == Kind.EPOLL && udp.nativeUpstream();
    }

    /**
     * Why transparent listeners cannot work on this transport, or empty when they can: the TCP side
     * sets IP_TRANSPARENT through {@code EpollChannelOption}, the UDP side on its bare native upstream
     * sockets, so both need epoll.
     */
    public java.util.Optional<String> transparentProblem() {
        if (kind != Kind.EPOLL) {
            return java.util.Optional.of("transparent mode needs the epoll transport (this one is " + name
                    + (kind == Kind.NIO && !Epoll.isAvailable() ? "; epoll is unavailable: " + Epoll.unavailabilityCause() : "")
                    + "); set runtime.transport: epoll or auto on Linux");
        }
        if (!udp.nativeUpstream()) {
            return java.util.Optional.of("transparent mode needs native UDP upstream sockets, which"
                    + " -Dwavelb.udp.nativeUpstream=false turned off");
        }
        return java.util.Optional.empty();
    }

    /**
     * Makes {@code bootstrap}'s connections transparent (IP_TRANSPARENT, which on Linux also covers
     * IPv6 sockets: both options set one socket flag), so they can bind a client's address; only
     * where {@link #transparentProblem()} is empty.
     */
    public void transparent(io.netty.bootstrap.Bootstrap bootstrap) {
        if (kind != Kind.EPOLL) {
            throw new IllegalStateException("transparent connections need the epoll transport, not " + name);
        }
        bootstrap.option(EpollChannelOption.IP_TRANSPARENT, true);
    }

    /**
     * Shuts {@code ch}'s output down (a FIN after what is already written) and returns whether it
     * did; on failure {@code ch} is left as it was. Called on {@code ch}'s event loop, after the
     * caller flushed {@code ch}; it writes nothing more to it. On epoll this is
     * {@code shutdown(SHUT_WR)} on the channel's own socket: Netty's {@code shutdownOutput} builds a
     * {@code ChannelOutputShutdownException} with its stack trace on every call, to fail writes that
     * cannot be pending here (benchmarks/README.md, "New TCP connections"). The socket records the
     * shutdown, so the channel's {@code isOutputShutdown()} still tells.
     */
    public boolean shutdownOutput(DuplexChannel ch) {
        if (kind == Kind.EPOLL && ch instanceof EpollSocketChannel epoll) {
            try {
                ((Socket) epoll.fd()).shutdown(false, true);
                return true;
            } catch (IOException e) {
                return false;
            }
        }
        // On its own loop Netty's shutdownOutput is done when it returns; should it not be, a late
        // failure closes the channel, which ends the connection.
        ChannelFuture f = ch.shutdownOutput().addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        return !f.isDone() || f.isSuccess();
    }

    /** Whether native upstream sockets send runs of same-size datagrams as UDP GSO bursts ({@code wavelb.udp.gso}). */
    public boolean udpGso() {
        return udp.gso();
    }

    /**
     * Heap one UDP session's datagram channel holds beyond the session itself. On io_uring,
     * measured (2000 idle sessions, Netty 4.2.18): each datagram channel preallocates 512 message
     * headers, about 170 KiB of heap and 330 KiB in all; on epoll a session holds under 1 KiB
     * (benchmarks/README.md, "io_uring"), counted as 0 here.
     */
    public long udpSessionHeapBytes() {
        return kind == Kind.IO_URING ? IO_URING_SESSION_HEAP_BYTES : 0;
    }

    /** See {@link #udpSessionHeapBytes()}. */
    public static final long IO_URING_SESSION_HEAP_BYTES = 170 * 1024;
}
