package io.wavelb.core.linux;

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
import java.nio.ByteOrder;
import java.util.Optional;

/**
 * The few calls of Linux's C library wavelb makes itself, through the Foreign Function and Memory
 * API: {@code recvmmsg} and {@code sendmmsg} on a listener socket (Netty's native versions make an
 * address object and an envelope per datagram, and a {@code getsockopt} per call), a close-on-exec
 * {@code dup}, {@code getsockopt(SO_DOMAIN)} and {@code getsockopt(SO_MEMINFO)}, setting
 * O_NONBLOCK, and making and setting up the sockets wavelb polls itself ({@link SocketCalls}:
 * Netty's socket wrapper asks each new socket its family with a {@code getsockname}). Each call
 * returns what the kernel returned, or {@code -errno}, read from the call's own captured state
 * (never from a later call's errno).
 *
 * <p>Linux on a 64-bit platform only (the structure offsets in {@link MessageBatch} are LP64's);
 * elsewhere {@link #unavailable()} says why and the caller keeps Netty's path.
 */
public final class LibC {

    public static final int EINTR = 4;
    public static final int EAGAIN = 11;
    public static final int ENOBUFS = 105;
    public static final int AF_INET = 2;
    public static final int AF_INET6 = 10;
    static final int MSG_DONTWAIT = 0x40;
    static final int MSG_TRUNC = 0x20;
    private static final int F_DUPFD_CLOEXEC = 1030;
    private static final int F_GETFL = 3;
    private static final int F_SETFL = 4;
    /** fcntl.h, generic ABI (x86-64, arm64). */
    public static final int O_NONBLOCK = 04000;
    private static final int SOL_SOCKET = 1;
    private static final int SO_DOMAIN = 39;
    private static final int SO_MEMINFO = 55;
    /** linux/sock_diag.h: SK_MEMINFO_DROPS is the 9th of SK_MEMINFO_VARS u32 values. */
    private static final int SK_MEMINFO_DROPS = 8;
    private static final int SK_MEMINFO_VARS = 9;

    private static final MethodHandle RECVMMSG;
    private static final MethodHandle SENDMMSG;
    private static final MethodHandle FCNTL;
    private static final MethodHandle GETSOCKOPT;
    private static final MethodHandle SHUTDOWN;
    private static final MethodHandle SOCKET;
    private static final MethodHandle CONNECT;
    private static final MethodHandle BIND;
    private static final MethodHandle SETSOCKOPT;
    private static final MethodHandle GETSOCKNAME;
    private static final int SHUT_WR = 1;
    private static final VarHandle ERRNO;
    static final long CAPTURE_SIZE;
    private static final String UNAVAILABLE;

    static {
        MethodHandle recv = null;
        MethodHandle send = null;
        MethodHandle fcntl = null;
        MethodHandle getsockopt = null;
        MethodHandle shutdown = null;
        MethodHandle socket = null;
        MethodHandle connect = null;
        MethodHandle bind = null;
        MethodHandle setsockopt = null;
        MethodHandle getsockname = null;
        VarHandle errno = null;
        long captureSize = 0;
        String why = null;
        try {
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("linux")) {
                why = "not Linux";
            } else if (ValueLayout.ADDRESS.byteSize() != 8 || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
                why = "not a 64-bit little-endian platform";
            } else {
                Linker linker = Linker.nativeLinker();
                SymbolLookup libc = linker.defaultLookup();
                Linker.Option errnoOf = Linker.Option.captureCallState("errno");
                MemoryLayout capture = Linker.Option.captureStateLayout();
                errno = capture.varHandle(MemoryLayout.PathElement.groupElement("errno"));
                captureSize = capture.byteSize();
                ValueLayout.OfInt i = ValueLayout.JAVA_INT;
                recv = linker.downcallHandle(libc.find("recvmmsg").orElseThrow(),
                        FunctionDescriptor.of(i, i, ValueLayout.ADDRESS, i, i, ValueLayout.ADDRESS), errnoOf);
                send = linker.downcallHandle(libc.find("sendmmsg").orElseThrow(),
                        FunctionDescriptor.of(i, i, ValueLayout.ADDRESS, i, i), errnoOf);
                fcntl = linker.downcallHandle(libc.find("fcntl").orElseThrow(),
                        FunctionDescriptor.of(i, i, i, i), errnoOf, Linker.Option.firstVariadicArg(2));
                getsockopt = linker.downcallHandle(libc.find("getsockopt").orElseThrow(),
                        FunctionDescriptor.of(i, i, i, i, ValueLayout.ADDRESS, ValueLayout.ADDRESS), errnoOf);
                shutdown = linker.downcallHandle(libc.find("shutdown").orElseThrow(), FunctionDescriptor.of(i, i, i), errnoOf);
                socket = linker.downcallHandle(libc.find("socket").orElseThrow(), FunctionDescriptor.of(i, i, i, i), errnoOf);
                connect = linker.downcallHandle(libc.find("connect").orElseThrow(),
                        FunctionDescriptor.of(i, i, ValueLayout.ADDRESS, i), errnoOf);
                bind = linker.downcallHandle(libc.find("bind").orElseThrow(),
                        FunctionDescriptor.of(i, i, ValueLayout.ADDRESS, i), errnoOf);
                setsockopt = linker.downcallHandle(libc.find("setsockopt").orElseThrow(),
                        FunctionDescriptor.of(i, i, i, i, ValueLayout.ADDRESS, i), errnoOf);
                getsockname = linker.downcallHandle(libc.find("getsockname").orElseThrow(),
                        FunctionDescriptor.of(i, i, ValueLayout.ADDRESS, ValueLayout.ADDRESS), errnoOf);
            }
        } catch (RuntimeException | LinkageError e) {
            why = e.toString();
        }
        RECVMMSG = recv;
        SENDMMSG = send;
        FCNTL = fcntl;
        GETSOCKOPT = getsockopt;
        SHUTDOWN = shutdown;
        SOCKET = socket;
        CONNECT = connect;
        BIND = bind;
        SETSOCKOPT = setsockopt;
        GETSOCKNAME = getsockname;
        ERRNO = errno;
        CAPTURE_SIZE = captureSize;
        UNAVAILABLE = why;
    }

    private LibC() {
    }

    /** Why these calls cannot be made here, or empty when they can. */
    public static Optional<String> unavailable() {
        return Optional.ofNullable(UNAVAILABLE);
    }

    /** A segment for one caller's captured errno (one per thread that calls; it is written by every call). */
    static MemorySegment newCaptureState(Arena arena) {
        return arena.allocate(CAPTURE_SIZE, 8);
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }

    /** {@code recvmmsg(fd, msgs, count, MSG_DONTWAIT, NULL)}: datagrams received, or {@code -errno}. */
    static int recvmmsg(MemorySegment state, int fd, MemorySegment msgs, int count) {
        int n;
        try {
            n = (int) RECVMMSG.invokeExact(state, fd, msgs, count, MSG_DONTWAIT, MemorySegment.NULL);
        } catch (Throwable t) {
            throw new IllegalStateException("recvmmsg", t);
        }
        return n >= 0 ? n : -errno(state);
    }

    /** {@code sendmmsg(fd, msgs, count, MSG_DONTWAIT)}: datagrams sent, or {@code -errno}. */
    static int sendmmsg(MemorySegment state, int fd, MemorySegment msgs, int count) {
        int n;
        try {
            n = (int) SENDMMSG.invokeExact(state, fd, msgs, count, MSG_DONTWAIT);
        } catch (Throwable t) {
            throw new IllegalStateException("sendmmsg", t);
        }
        return n >= 0 ? n : -errno(state);
    }

    /**
     * A second descriptor for the socket {@code fd} refers to, close-on-exec: registered with an
     * epoll set beside the first (epoll keys its entries by descriptor and file), and closed apart.
     */
    public static int dup(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            return fcntl(newCaptureState(arena), fd, F_DUPFD_CLOEXEC, 0, "F_DUPFD_CLOEXEC");
        }
    }

    /** {@code fcntl(fd, cmd, arg)}; a failure is an IOException naming {@code cmdName} and errno. */
    private static int fcntl(MemorySegment state, int fd, int cmd, int arg, String cmdName) throws IOException {
        int r;
        try {
            r = (int) FCNTL.invokeExact(state, fd, cmd, arg);
        } catch (Throwable t) {
            throw new IllegalStateException("fcntl", t);
        }
        if (r < 0) {
            throw new IOException("fcntl(" + fd + ", " + cmdName + "): errno " + errno(state));
        }
        return r;
    }

    /**
     * Sets O_NONBLOCK on the open file {@code fd} refers to (shared with every copy of it, in this
     * process or another); returns whether it was set already.
     */
    public static boolean setNonBlocking(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = newCaptureState(arena);
            int flags = fcntl(state, fd, F_GETFL, 0, "F_GETFL");
            if ((flags & O_NONBLOCK) != 0) {
                return true;
            }
            fcntl(state, fd, F_SETFL, flags | O_NONBLOCK, "F_SETFL, O_NONBLOCK");
            return false;
        }
    }

    /** The address family of the socket {@code fd}: {@link #AF_INET} or {@link #AF_INET6}. */
    public static int socketDomain(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = newCaptureState(arena);
            MemorySegment value = arena.allocate(ValueLayout.JAVA_INT);
            MemorySegment length = arena.allocate(ValueLayout.JAVA_INT);
            length.set(ValueLayout.JAVA_INT, 0, 4);
            int r = (int) GETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_DOMAIN, value, length);
            if (r < 0) {
                throw new IOException("getsockopt(" + fd + ", SO_DOMAIN): errno " + errno(state));
            }
            return value.get(ValueLayout.JAVA_INT, 0);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("getsockopt", t);
        }
    }

    /**
     * Datagrams (or segments) the kernel dropped on socket {@code fd} since it was created, most for
     * want of receive-queue room: its {@code SK_MEMINFO_DROPS} ({@code getsockopt(SO_MEMINFO)}; a kernel
     * old enough to return fewer values is an IOException).
     */
    public static long socketDrops(int fd) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            DropCounts counts = new DropCounts(arena);
            int r = counts.call(fd);
            if (r < 0) {
                throw new IOException("getsockopt(" + fd + ", SO_MEMINFO): errno " + errno(counts.state));
            }
            if (!counts.complete()) {
                throw new IOException("getsockopt(" + fd + ", SO_MEMINFO): no drop count (an older kernel)");
            }
            return counts.drops();
        }
    }

    /**
     * Reads sockets' drop counts ({@code getsockopt(SO_MEMINFO)}) into memory allocated once, so an
     * event loop reads them without allocating. One thread at a time: each loop has its own.
     */
    public static final class DropCounts {

        private final MemorySegment state;
        private final MemorySegment values;
        private final MemorySegment length;

        public DropCounts(Arena arena) {
            state = newCaptureState(arena);
            values = arena.allocate(ValueLayout.JAVA_INT, SK_MEMINFO_VARS);
            length = arena.allocate(ValueLayout.JAVA_INT);
        }

        /** {@code fd}'s drop count, or -1 when it cannot be read (an older kernel, not a socket). */
        public long read(int fd) {
            return call(fd) < 0 || !complete() ? -1 : drops();
        }

        private int call(int fd) {
            length.set(ValueLayout.JAVA_INT, 0, SK_MEMINFO_VARS * 4);
            try {
                return (int) GETSOCKOPT.invokeExact(state, fd, SOL_SOCKET, SO_MEMINFO, values, length);
            } catch (Throwable t) {
                throw new IllegalStateException("getsockopt", t);
            }
        }

        private boolean complete() {
            return length.get(ValueLayout.JAVA_INT, 0) > SK_MEMINFO_DROPS * 4;
        }

        private long drops() {
            return Integer.toUnsignedLong(values.getAtIndex(ValueLayout.JAVA_INT, SK_MEMINFO_DROPS));
        }
    }


    /**
     * Stream socket calls for one thread (an event loop), its errno captured in memory allocated
     * once: none allocates.
     */
    public static final class StreamCalls {

        private final MemorySegment state;

        public StreamCalls(Arena arena) {
            state = newCaptureState(arena);
        }

        /** {@code shutdown(fd, SHUT_WR)}: a FIN after what is queued. 0, or {@code -errno}. */
        public int shutdownWrite(int fd) {
            int r;
            try {
                r = (int) SHUTDOWN.invokeExact(state, fd, SHUT_WR);
            } catch (Throwable t) {
                throw new IllegalStateException("shutdown", t);
            }
            return r >= 0 ? r : -errno(state);
        }
    }

    /**
     * The calls that make and set up one socket ({@code socket}, {@code setsockopt}, {@code bind},
     * {@code connect}, {@code getsockname}), for one thread, in memory allocated once: an address
     * is written into and read from it, so none allocates beyond what the caller hands in or gets
     * back. Each returns what the kernel returned, or {@code -errno}.
     */
    public static final class SocketCalls {

        /** sizeof(struct sockaddr_in6), the larger of the two families'. */
        private static final int SOCKADDR_BYTES = 28;
        private static final int SOCK_STREAM = 1;
        private static final int SOCK_DGRAM = 2;
        private static final int SOCK_NONBLOCK = 04000;
        private static final int SOCK_CLOEXEC = 02000000;

        private final MemorySegment state;
        private final MemorySegment address;
        private final MemorySegment length;
        private final MemorySegment value;

        public SocketCalls(Arena arena) {
            state = newCaptureState(arena);
            address = arena.allocate(SOCKADDR_BYTES, 8);
            length = arena.allocate(ValueLayout.JAVA_INT);
            value = arena.allocate(ValueLayout.JAVA_INT);
        }

        /** A new non-blocking, close-on-exec socket of {@code family}: TCP when {@code stream}, else UDP. */
        public int socket(int family, boolean stream) {
            int r;
            try {
                r = (int) SOCKET.invokeExact(state, family, (stream ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            } catch (Throwable t) {
                throw new IllegalStateException("socket", t);
            }
            return r >= 0 ? r : -errno(state);
        }

        /** {@code setsockopt(fd, level, option, &value, 4)} for an integer option. */
        public int setInt(int fd, int level, int option, int v) {
            value.set(ValueLayout.JAVA_INT, 0, v);
            int r;
            try {
                r = (int) SETSOCKOPT.invokeExact(state, fd, level, option, value, 4);
            } catch (Throwable t) {
                throw new IllegalStateException("setsockopt", t);
            }
            return r >= 0 ? r : -errno(state);
        }

        /** {@code getsockopt(fd, level, option)} for an integer option: its value, or {@code -errno}. */
        public int getInt(int fd, int level, int option) {
            length.set(ValueLayout.JAVA_INT, 0, 4);
            int r;
            try {
                r = (int) GETSOCKOPT.invokeExact(state, fd, level, option, value, length);
            } catch (Throwable t) {
                throw new IllegalStateException("getsockopt", t);
            }
            return r >= 0 ? value.get(ValueLayout.JAVA_INT, 0) : -errno(state);
        }

        /** {@code connect(fd, address)}: 0, or {@code -errno} (EINPROGRESS for a TCP socket on its way). */
        public int connect(int fd, byte[] ip, int port, int scopeId) {
            return withAddress(CONNECT, "connect", fd, ip, port, scopeId);
        }

        /** {@code bind(fd, address)}: 0, or {@code -errno}. */
        public int bind(int fd, byte[] ip, int port, int scopeId) {
            return withAddress(BIND, "bind", fd, ip, port, scopeId);
        }

        /** {@code call(fd, address, length)}, for connect and bind. */
        private int withAddress(MethodHandle call, String name, int fd, byte[] ip, int port, int scopeId) {
            int len = writeAddress(ip, port, scopeId);
            int r;
            try {
                r = (int) call.invokeExact(state, fd, address, len);
            } catch (Throwable t) {
                throw new IllegalStateException(name, t);
            }
            return r >= 0 ? r : -errno(state);
        }

        /**
         * {@code getsockname(fd)}: 0 with the address kept for {@link #family}, {@link #ip},
         * {@link #port} and {@link #scopeId}, or {@code -errno}.
         */
        public int getsockname(int fd) {
            length.set(ValueLayout.JAVA_INT, 0, SOCKADDR_BYTES);
            int r;
            try {
                r = (int) GETSOCKNAME.invokeExact(state, fd, address, length);
            } catch (Throwable t) {
                throw new IllegalStateException("getsockname", t);
            }
            return r >= 0 ? r : -errno(state);
        }

        /** The family of the address last read ({@link #AF_INET}, {@link #AF_INET6}, or another). */
        public int family() {
            return Short.toUnsignedInt(address.get(ValueLayout.JAVA_SHORT, 0));
        }

        /** The IP of the address last read: 4 bytes for AF_INET, 16 for AF_INET6. */
        public byte[] ip() {
            boolean v6 = family() == AF_INET6;
            byte[] ip = new byte[v6 ? 16 : 4];
            MemorySegment.copy(address, ValueLayout.JAVA_BYTE, v6 ? 8 : 4, ip, 0, ip.length);
            return ip;
        }

        public int port() {
            return Short.toUnsignedInt(Short.reverseBytes(address.get(ValueLayout.JAVA_SHORT, 2)));
        }

        public int scopeId() {
            return family() == AF_INET6 ? address.get(ValueLayout.JAVA_INT, 24) : 0;
        }

        /** A sockaddr_in (4-byte {@code ip}) or sockaddr_in6 (16 bytes) in {@link #address}; its length. */
        private int writeAddress(byte[] ip, int port, int scopeId) {
            address.fill((byte) 0);
            boolean v6 = ip.length == 16;
            address.set(ValueLayout.JAVA_SHORT, 0, (short) (v6 ? AF_INET6 : AF_INET));
            address.set(ValueLayout.JAVA_SHORT, 2, Short.reverseBytes((short) port));
            if (v6) {
                MemorySegment.copy(ip, 0, address, ValueLayout.JAVA_BYTE, 8, 16);
                address.set(ValueLayout.JAVA_INT, 24, scopeId);
                return SOCKADDR_BYTES;
            }
            MemorySegment.copy(ip, 0, address, ValueLayout.JAVA_BYTE, 4, 4);
            return 16;
        }
    }
}
