package io.wavelb.core.transport;

import io.netty.channel.ChannelException;
import io.netty.channel.unix.Errors;
import io.netty.channel.unix.FileDescriptor;
import io.wavelb.core.linux.LibC;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * A socket wavelb polls itself (a UDP session's upstream socket, a native TCP relay's target
 * socket), made for the target's family so an IPv4 target gets an AF_INET socket, with the options
 * Netty keeps protected: IP_TRANSPARENT and any integer option.
 *
 * <p>Made and set up through {@link LibC.SocketCalls}, not Netty's {@code Socket}: its constructor
 * asks every new socket its family ({@code getsockname}), one system call in seven of a one-shot
 * UDP flow. Reads and writes are Netty's {@link FileDescriptor} calls. Failures are Netty's own
 * exceptions for the same errno (a connect's as {@code Errors.handleConnectErrno}, a bind's as
 * {@code Errors.newIOException}, a socket that cannot be made as a {@link ChannelException}), so
 * the callers' classifications (out of descriptors, no local port, transparent bind) read them as
 * before. Each calling thread (an event loop) has its own call memory.
 */
public final class BareSocket extends FileDescriptor {

    /** From linux/in.h, linux/in6.h, linux/tcp.h, asm-generic/socket.h. */
    private static final int SOL_SOCKET = 1;
    private static final int SO_ERROR = 4;
    private static final int SO_RCVBUF = 8;
    private static final int SOL_IP = 0;
    private static final int IP_TRANSPARENT = 19;
    private static final int SOL_IPV6 = 41;
    private static final int IPV6_TRANSPARENT = 75;
    private static final int IPPROTO_TCP = 6;
    private static final int TCP_NODELAY = 1;

    /** Each thread's call memory: allocated once per thread, freed with it. */
    private static final ThreadLocal<LibC.SocketCalls> CALLS = ThreadLocal.withInitial(() -> new LibC.SocketCalls(Arena.ofAuto()));

    /** Wraps {@code fd}, a socket this process already has (one a takeover handed over). */
    public BareSocket(int fd) {
        super(fd);
    }

    /** A new non-blocking UDP socket of {@code target}'s family. */
    public static BareSocket datagramFor(InetSocketAddress target) {
        return open(target, false, "newSocketDgram");
    }

    /** A new non-blocking TCP socket of {@code target}'s family. */
    public static BareSocket streamFor(InetSocketAddress target) {
        return open(target, true, "newSocketStream");
    }

    private static BareSocket open(InetSocketAddress target, boolean stream, String call) {
        int fd = CALLS.get().socket(target.getAddress() instanceof Inet6Address ? LibC.AF_INET6 : LibC.AF_INET, stream);
        if (fd < 0) {
            throw new ChannelException(Errors.newIOException(call, fd));
        }
        return new BareSocket(fd);
    }

    /**
     * Lets the socket bind an address not of this host (IP_TRANSPARENT, or IPV6_TRANSPARENT for an
     * IPv6 socket): needs CAP_NET_RAW or CAP_NET_ADMIN.
     */
    public void setTransparent(boolean v6) throws IOException {
        setIntOption(v6 ? SOL_IPV6 : SOL_IP, v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, 1);
    }

    public void setTcpNoDelay(boolean on) throws IOException {
        setIntOption(IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
    }

    public void setReceiveBufferSize(int bytes) throws IOException {
        setIntOption(SOL_SOCKET, SO_RCVBUF, bytes);
    }

    /** {@code setsockopt(level, option, value)} for an integer option. */
    public void setIntOption(int level, int option, int value) throws IOException {
        int r = CALLS.get().setInt(intValue(), level, option, value);
        if (r < 0) {
            throw Errors.newIOException("setsockopt", r);
        }
    }

    /** The socket's pending error (SO_ERROR), cleared by the read: 0, or the errno a connect ended with. */
    public int getSoError() throws IOException {
        int r = CALLS.get().getInt(intValue(), SOL_SOCKET, SO_ERROR);
        if (r < 0) {
            throw Errors.newIOException("getsockopt", r);
        }
        return r;
    }

    /** Binds {@code local} (the client's address, for a transparent target connection). */
    public void bind(InetSocketAddress local) throws IOException {
        int r = CALLS.get().bind(intValue(), local.getAddress().getAddress(), local.getPort(), scopeId(local.getAddress()));
        if (r < 0) {
            throw Errors.newIOException("bind", r);
        }
    }

    /**
     * Connects to {@code remote}: true when connected (always, for UDP), false while a TCP connect
     * is on its way (EINPROGRESS; writable once it is done, SO_ERROR says how it ended).
     */
    public boolean connect(InetSocketAddress remote) throws IOException {
        int r = CALLS.get().connect(intValue(), remote.getAddress().getAddress(), remote.getPort(), scopeId(remote.getAddress()));
        return r >= 0 || Errors.handleConnectErrno("connect", r);
    }

    /** The local address and port (after the connect, the port the kernel chose), or null when it cannot be read. */
    public InetSocketAddress localAddress() {
        LibC.SocketCalls calls = CALLS.get();
        if (calls.getsockname(intValue()) < 0 || calls.family() != LibC.AF_INET && calls.family() != LibC.AF_INET6) {
            return null;
        }
        try {
            byte[] ip = calls.ip();
            InetAddress a = ip.length == 16 ? Inet6Address.getByAddress(null, ip, calls.scopeId()) : InetAddress.getByAddress(ip);
            return new InetSocketAddress(a, calls.port());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("an address of 4 or 16 bytes", e);
        }
    }

    /** One datagram (or bytes) into {@code buf}'s {@code [pos, limit)}: its length, 0 when none is waiting, -1 at end of stream. */
    public int recv(ByteBuffer buf, int pos, int limit) throws IOException {
        return read(buf, pos, limit);
    }

    /** As {@link #recv(ByteBuffer, int, int)}, into native memory at {@code address}. */
    public int recvAddress(long address, int pos, int limit) throws IOException {
        return readAddress(address, pos, limit);
    }

    /** Sends {@code buf}'s {@code [pos, limit)} (one datagram on a UDP socket): bytes sent, 0 when the queue is full. */
    public int send(ByteBuffer buf, int pos, int limit) throws IOException {
        return write(buf, pos, limit);
    }

    /** As {@link #send(ByteBuffer, int, int)}, from native memory at {@code address}. */
    public int sendAddress(long address, int pos, int limit) throws IOException {
        return writeAddress(address, pos, limit);
    }

    private static int scopeId(InetAddress a) {
        return a instanceof Inet6Address v6 ? v6.getScopeId() : 0;
    }
}
