package io.wavelb.bench.spike;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEvent;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoRegistration;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoEvent;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.LinuxSocket;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteOrder;

/**
 * A spike, not product code: how cheap can a new TCP connection through a one-target relay get on
 * Netty's epoll event loop when both sockets are bare descriptors registered once with the loop
 * ({@link EpollIoHandle}), with no channel, pipeline, promise or bootstrap? IPv4 only, one target,
 * no limits, no timeouts, no metrics.
 *
 * <pre>
 *   java --enable-native-access=ALL-UNNAMED -cp benchmarks.jar io.wavelb.bench.spike.BareTcpRelay 23005 127.0.0.1:25511
 * </pre>
 *
 * <p>System calls per connection, by design: accept4 (plus one EAGAIN per wake-up when the accept
 * batch empties the queue), socket, setsockopt(TCP_NODELAY) on the target socket (the accepted one
 * inherits it from the listener), connect (EINPROGRESS), one epoll_ctl ADD per socket (edge-
 * triggered EPOLLIN|EPOLLOUT|EPOLLRDHUP, never modified; closing the descriptor before cancelling
 * the registration makes Netty skip its EPOLL_CTL_DEL), one read and one write per data burst per
 * direction, one read per FIN, shutdown(SHUT_WR) for the first FIN, close twice; a share of
 * epoll_wait. No getsockopt(SO_ERROR) after connect: a failed connect shows as EPOLLERR/EPOLLHUP.
 *
 * <p>Which Netty calls fit: {@code Socket.accept(byte[])} is one accept4(SOCK_NONBLOCK|SOCK_CLOEXEC);
 * {@code FileDescriptor.readAddress/writeAddress/close} are one read/write/close each. But the
 * {@code Socket(int)} constructor asks the kernel for the socket's family (a system call per
 * socket), so per-connection sockets are plain {@link FileDescriptor}s here and socket, connect,
 * shutdown and setsockopt are made through the Foreign Function and Memory API.
 *
 * <p>Edge-triggered, as NGINX does it: a read shorter than the buffer means the receive queue was
 * empty at that moment, so the next byte raises a new edge and no read is spent to see EAGAIN
 * (unless the event carried EPOLLRDHUP: then the FIN is read at once). A partial write keeps the
 * rest in a pooled buffer and stops reading that direction until the peer's EPOLLOUT edge.
 */
public final class BareTcpRelay {

    private static final int READ_BUFFER = Integer.getInteger("spike.readBuffer", 16 * 1024);
    private static final int ACCEPT_BATCH = Integer.getInteger("spike.acceptBatch", 16);
    /** Price one system call on this machine: this many getsockopt(SO_ERROR) more per connection. */
    private static final int EXTRA_SYSCALLS = Integer.getInteger("spike.extraSyscalls", 0);
    /**
     * false: the first FIN closes both sockets, as NGINX's stream proxy does by default
     * ({@code proxy_half_close off}); true: it is passed on as shutdown(SHUT_WR), as HAProxy and wavelb do.
     */
    private static final boolean HALF_CLOSE = Boolean.parseBoolean(System.getProperty("spike.halfClose", "true"));
    private static final boolean TARGET_NODELAY = Boolean.parseBoolean(System.getProperty("spike.nodelay", "true"));
    private static final int EPOLLHUP = 0x10;
    private static final EpollIoOps INTEREST = EpollIoOps.EPOLLIN.with(EpollIoOps.EPOLLOUT)
            .with(EpollIoOps.EPOLLRDHUP).with(EpollIoOps.EPOLLET);

    private final IoEventLoop loop;
    private final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;
    /** One read buffer for the loop: data is written on at once, only a remainder is copied out. */
    private final ByteBuf scratch;
    private final long scratchAddress;
    private final MemorySegment targetAddress;
    long accepted;
    long closed;
    /** Why connections were aborted (read by the shutdown hook only: a spike's diagnostics). */
    final long[] aborts = new long[Abort.values().length];
    int lastConnectErrno;

    private enum Abort { SOCKET, CONNECT, REGISTER, EPOLLERR, HUP_CONNECTING, READ, WRITE, SHUTDOWN }

    private BareTcpRelay(IoEventLoop loop, InetSocketAddress target) {
        this.loop = loop;
        this.scratch = alloc.directBuffer(READ_BUFFER, READ_BUFFER);
        if (!scratch.hasMemoryAddress()) {
            throw new IllegalStateException("needs a direct buffer with a memory address");
        }
        this.scratchAddress = scratch.memoryAddress();
        this.targetAddress = Sys.sockaddrIn(target);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: BareTcpRelay LISTEN_PORT TARGET_HOST:PORT");
            System.exit(2);
        }
        Epoll.ensureAvailability();
        int port = Integer.parseInt(args[0]);
        int colon = args[1].lastIndexOf(':');
        InetSocketAddress target = new InetSocketAddress(InetAddress.getByName(args[1].substring(0, colon)),
                Integer.parseInt(args[1].substring(colon + 1)));
        MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1,
                new DefaultThreadFactory("spike-loop"), EpollIoHandler.newFactory());
        IoEventLoop loop = (IoEventLoop) group.next();
        BareTcpRelay relay = loop.submit(() -> {
            BareTcpRelay r = new BareTcpRelay(loop, target);
            r.listen(port);
            return r;
        }).get();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            StringBuilder why = new StringBuilder();
            for (Abort a : Abort.values()) {
                why.append(' ').append(a).append('=').append(relay.aborts[a.ordinal()]);
            }
            System.err.println("spike: accepted " + relay.accepted + " closed " + relay.closed + " aborted:" + why
                    + " last connect errno " + relay.lastConnectErrno);
            group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
        }));
        System.err.println("spike: listening on " + port + " -> " + target);
        group.terminationFuture().sync();
    }

    private void listen(int port) throws IOException {
        LinuxSocket listener = LinuxSocket.newSocketStream(false);
        listener.setReuseAddress(true);
        // Accepted sockets inherit TCP_NODELAY from the listener (the child is a clone of it).
        listener.setTcpNoDelay(true);
        listener.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port));
        listener.listen(4096);
        Acceptor acceptor = new Acceptor(listener);
        acceptor.registration = register(acceptor, EpollIoOps.EPOLLIN);
    }

    private IoRegistration register(EpollIoHandle handle, EpollIoOps ops) throws IOException {
        Future<IoRegistration> f = loop.register(handle);
        if (!f.isSuccess()) {
            throw new IOException("register: " + f.cause(), f.cause());
        }
        IoRegistration r = f.getNow();
        r.submit(ops);
        return r;
    }

    /** The listening socket, level-triggered: up to ACCEPT_BATCH connections per wake-up. */
    private final class Acceptor implements EpollIoHandle {
        private final LinuxSocket socket;
        private final byte[] peer = new byte[26];
        IoRegistration registration;

        Acceptor(LinuxSocket socket) {
            this.socket = socket;
        }

        @Override
        public FileDescriptor fd() {
            return socket;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            for (int i = 0; i < ACCEPT_BATCH; i++) {
                int fd;
                try {
                    fd = socket.accept(peer);
                } catch (IOException e) {
                    return; // EMFILE and the like: a product counts and backs off
                }
                if (fd < 0) {
                    return;
                }
                accepted++;
                open(fd);
            }
        }

        @Override
        public void close() {
        }
    }

    private void open(int clientFd) {
        Side client = new Side(clientFd, true);
        int targetFd = Sys.socket();
        if (targetFd < 0) {
            aborts[Abort.SOCKET.ordinal()]++;
            client.closeNow();
            return;
        }
        Side target = new Side(targetFd, false);
        client.peer = target;
        target.peer = client;
        if (TARGET_NODELAY) {
            Sys.tcpNoDelay(targetFd);
        }
        for (int i = 0; i < EXTRA_SYSCALLS; i++) {
            Sys.soError(targetFd);
        }
        int r = Sys.connect(targetFd, targetAddress);
        if (r == 0) {
            target.connected = true;
        } else if (r != -Sys.EINPROGRESS) {
            lastConnectErrno = -r;
            client.abort(Abort.CONNECT);
            return;
        }
        try {
            client.registration = register(client, INTEREST);
            target.registration = register(target, INTEREST);
        } catch (IOException | RuntimeException e) {
            client.abort(Abort.REGISTER);
        }
    }

    /** One socket of a relayed connection; its {@link #pending} is data read from it not yet written to the peer. */
    private final class Side extends FileDescriptor implements EpollIoHandle {
        Side peer;
        IoRegistration registration;
        final boolean isClient;
        boolean connected;
        /** A FIN was read from this socket (and passed on, or the connection closed). */
        boolean eof;
        /** From this socket, not yet written to the peer: this direction waits for the peer's EPOLLOUT. */
        ByteBuf pending;
        boolean done;
        /** An event carried EPOLLRDHUP: the FIN is queued behind the data, read on to it. */
        boolean finSeen;
        /**
         * An EPOLLIN edge not yet read to a short read (NGINX's {@code rev->ready}): without it, an
         * edge handled after the same batch's connect completion already read the data costs a
         * read that only sees EAGAIN.
         */
        boolean readable;

        Side(int fd, boolean isClient) {
            super(fd);
            this.isClient = isClient;
            this.connected = isClient;
        }

        @Override
        public FileDescriptor fd() {
            return this;
        }

        @Override
        public void handle(IoRegistration registration, IoEvent event) {
            if (done) {
                return;
            }
            int ops = ((EpollIoEvent) event).ops().value();
            if ((ops & EpollIoOps.EPOLLERR.value()) != 0 || (!connected && (ops & EPOLLHUP) != 0)) {
                abort((ops & EpollIoOps.EPOLLERR.value()) != 0 ? Abort.EPOLLERR : Abort.HUP_CONNECTING);
                return;
            }
            if ((ops & EpollIoOps.EPOLLOUT.value()) != 0) {
                if (!connected) {
                    connected = true;
                    // The client's bytes that arrived while connecting raised their edge already.
                    peer.pump(false);
                } else if (peer.pending != null) {
                    peer.flushPending();
                }
                if (done) {
                    return;
                }
            }
            if ((ops & EpollIoOps.EPOLLRDHUP.value()) != 0) {
                finSeen = true;
            }
            if ((ops & EpollIoOps.EPOLLIN.value()) != 0) {
                readable = true;
                pump(false);
            }
        }

        /** Writes this side's remainder to the peer; on completion resumes reading this side. */
        void flushPending() {
            ByteBuf p = pending;
            int w;
            try {
                w = peer.writeAddress(p.memoryAddress(), p.readerIndex(), p.writerIndex());
            } catch (IOException e) {
                abort(Abort.WRITE);
                return;
            }
            p.skipBytes(w);
            if (p.isReadable()) {
                return;
            }
            p.release();
            pending = null;
            // Reading stopped mid-stream, so no new edge may come for what is queued: read to EAGAIN.
            pump(true);
        }

        /** Moves what this socket has to the peer, until EAGAIN, a short read, a partial write or the FIN. */
        void pump(boolean untilEagain) {
            if (pending != null || eof || !peer.connected || done || !(readable || untilEagain)) {
                return;
            }
            for (;;) {
                int n;
                try {
                    n = readAddress(scratchAddress, 0, READ_BUFFER);
                } catch (IOException e) {
                    abort(Abort.READ);
                    return;
                }
                if (n == 0) {
                    readable = false; // EAGAIN
                    return;
                }
                if (n < 0) {
                    finReceived();
                    return;
                }
                int w;
                try {
                    w = peer.writeAddress(scratchAddress, 0, n);
                } catch (IOException e) {
                    abort(Abort.WRITE);
                    return;
                }
                if (w < n) {
                    pending = alloc.directBuffer(n - w).writeBytes(scratch, w, n - w);
                    return;
                }
                if (n < READ_BUFFER && !untilEagain && !finSeen) {
                    readable = false; // drained at the time of the read; the next byte raises a new edge
                    return;
                }
            }
        }

        private void finReceived() {
            eof = true;
            if (peer.eof && peer.pending == null || !HALF_CLOSE) {
                closeBoth();
            } else if (Sys.shutdownWrite(peer.intValue()) != 0) {
                abort(Abort.SHUTDOWN);
            }
        }

        void abort(Abort why) {
            aborts[why.ordinal()]++;
            closeBoth();
        }

        private void closeBoth() {
            closeNow();
            if (peer != null) {
                peer.closeNow();
            }
            closed++;
        }

        void closeNow() {
            if (done) {
                return;
            }
            done = true;
            if (pending != null) {
                pending.release();
                pending = null;
            }
            try {
                close();
            } catch (IOException ignored) {
                // nothing more to do with it
            }
            // After the close: Netty's cancel skips EPOLL_CTL_DEL for a closed descriptor (the close
            // took it out of the epoll set, epoll(7) Q6).
            if (registration != null) {
                registration.cancel();
            }
        }
    }

    /** The few libc calls made through FFM: each returns the kernel's result or -errno. */
    static final class Sys {
        static final int EINPROGRESS = 115;
        private static final int AF_INET = 2;
        private static final int SOCK_STREAM = 1;
        private static final int SOCK_NONBLOCK = 0x800;
        private static final int SOCK_CLOEXEC = 0x80000;
        private static final int SHUT_WR = 1;
        private static final int IPPROTO_TCP = 6;
        private static final int TCP_NODELAY = 1;
        private static final MethodHandle SOCKET;
        private static final MethodHandle CONNECT;
        private static final MethodHandle SHUTDOWN;
        private static final MethodHandle SETSOCKOPT;
        private static final MethodHandle GETSOCKOPT;
        private static final int SOL_SOCKET = 1;
        private static final int SO_ERROR = 4;
        private static final MemorySegment VALUE;
        private static final MemorySegment LENGTH;
        private static final VarHandle ERRNO;
        private static final MemorySegment STATE;
        private static final MemorySegment ONE;

        static {
            Linker linker = Linker.nativeLinker();
            SymbolLookup libc = linker.defaultLookup();
            Linker.Option errno = Linker.Option.captureCallState("errno");
            MemoryLayout capture = Linker.Option.captureStateLayout();
            ERRNO = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
            ValueLayout.OfInt i = ValueLayout.JAVA_INT;
            SOCKET = linker.downcallHandle(libc.find("socket").orElseThrow(), FunctionDescriptor.of(i, i, i, i), errno);
            CONNECT = linker.downcallHandle(libc.find("connect").orElseThrow(),
                    FunctionDescriptor.of(i, i, ValueLayout.ADDRESS, i), errno);
            SHUTDOWN = linker.downcallHandle(libc.find("shutdown").orElseThrow(), FunctionDescriptor.of(i, i, i), errno);
            SETSOCKOPT = linker.downcallHandle(libc.find("setsockopt").orElseThrow(),
                    FunctionDescriptor.of(i, i, i, i, ValueLayout.ADDRESS, i), errno);
            GETSOCKOPT = linker.downcallHandle(libc.find("getsockopt").orElseThrow(),
                    FunctionDescriptor.of(i, i, i, i, ValueLayout.ADDRESS, ValueLayout.ADDRESS), errno);
            VALUE = Arena.global().allocate(ValueLayout.JAVA_INT);
            LENGTH = Arena.global().allocate(ValueLayout.JAVA_INT);
            // Only the loop thread calls these.
            STATE = Arena.global().allocate(capture.byteSize(), 8);
            ONE = Arena.global().allocate(ValueLayout.JAVA_INT);
            ONE.set(ValueLayout.JAVA_INT, 0, 1);
        }

        private Sys() {
        }

        static MemorySegment sockaddrIn(InetSocketAddress a) {
            byte[] ip = a.getAddress().getAddress();
            if (ip.length != 4) {
                throw new IllegalArgumentException("IPv4 only: " + a);
            }
            MemorySegment s = Arena.global().allocate(16, 8);
            s.set(ValueLayout.JAVA_SHORT, 0, (short) AF_INET);
            s.set(ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) a.getPort());
            MemorySegment.copy(ip, 0, s, ValueLayout.JAVA_BYTE, 4, 4);
            return s;
        }

        private static int result(int r) {
            return r >= 0 ? r : -(int) ERRNO.get(STATE, 0L);
        }

        static int socket() {
            try {
                return result((int) SOCKET.invokeExact(STATE, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        static int connect(int fd, MemorySegment address) {
            try {
                return result((int) CONNECT.invokeExact(STATE, fd, address, 16));
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        static int shutdownWrite(int fd) {
            try {
                return result((int) SHUTDOWN.invokeExact(STATE, fd, SHUT_WR));
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        static int soError(int fd) {
            LENGTH.set(ValueLayout.JAVA_INT, 0, 4);
            try {
                int r = result((int) GETSOCKOPT.invokeExact(STATE, fd, SOL_SOCKET, SO_ERROR, VALUE, LENGTH));
                return r < 0 ? r : VALUE.get(ValueLayout.JAVA_INT, 0);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }

        static int tcpNoDelay(int fd) {
            try {
                return result((int) SETSOCKOPT.invokeExact(STATE, fd, IPPROTO_TCP, TCP_NODELAY, ONE, 4));
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }
}
