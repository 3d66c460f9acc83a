package io.wavelb.core.linux;

import io.wavelb.core.session.ClientAddress;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A fixed array of {@code struct mmsghdr} in native memory, each with one {@code iovec} and room
 * for a {@code sockaddr_in6}: what one {@code recvmmsg} fills or one {@code sendmmsg} sends. Made
 * once per listener socket and reused call after call, so a datagram costs no Java object: its
 * sender is decoded into a {@link ClientAddress} probe, and a reply's destination encoded from the
 * session's key.
 *
 * <p>Owned by one thread (an event loop): not thread-safe. Offsets are those of Linux on LP64
 * (x86-64, arm64): {@code msghdr} 56 bytes, {@code mmsghdr} 64.
 */
public final class MessageBatch implements AutoCloseable {

    static final int HEADER_BYTES = 64;
    private static final int IOVEC_BYTES = 16;
    /** sockaddr_in6 is 28 bytes; slots of 32 keep every one 8-byte aligned. */
    private static final int NAME_BYTES = 32;
    private static final int SOCKADDR_IN_LEN = 16;
    private static final int SOCKADDR_IN6_LEN = 28;
    // struct msghdr, then mmsghdr's msg_len
    private static final long MSG_NAME = 0;
    private static final long MSG_NAMELEN = 8;
    private static final long MSG_IOV = 16;
    private static final long MSG_IOVLEN = 24;
    private static final long MSG_FLAGS = 48;
    private static final long MSG_LEN = 56;

    private static final ValueLayout.OfShort NET_SHORT = ValueLayout.JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt NET_INT = ValueLayout.JAVA_INT.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfLong NET_LONG = ValueLayout.JAVA_LONG.withOrder(ByteOrder.BIG_ENDIAN);

    private final int capacity;
    private final Arena arena;
    private final MemorySegment headers;
    private final MemorySegment iovecs;
    private final MemorySegment names;
    private final MemorySegment state;
    /** {@code headers} from message i on: what a send that starts at i passes, made once. */
    private final MemorySegment[] from;
    /** Headers the last receive filled, whose name lengths the next one resets. */
    private int lastReceived;

    /** @param capacity messages per call, 1..1024 (the kernel's UIO_MAXIOV) */
    public MessageBatch(int capacity) {
        if (capacity < 1 || capacity > 1024) {
            throw new IllegalArgumentException("capacity " + capacity + " (expected 1..1024)");
        }
        this.capacity = capacity;
        this.arena = Arena.ofShared();
        this.headers = arena.allocate((long) capacity * HEADER_BYTES, 8);
        this.iovecs = arena.allocate((long) capacity * IOVEC_BYTES, 8);
        this.names = arena.allocate((long) capacity * NAME_BYTES, 8);
        this.state = LibC.newCaptureState(arena);
        this.from = new MemorySegment[capacity];
        for (int i = 0; i < capacity; i++) {
            long h = (long) i * HEADER_BYTES;
            headers.set(ValueLayout.JAVA_LONG, h + MSG_NAME, names.address() + (long) i * NAME_BYTES);
            headers.set(ValueLayout.JAVA_INT, h + MSG_NAMELEN, SOCKADDR_IN6_LEN);
            headers.set(ValueLayout.JAVA_LONG, h + MSG_IOV, iovecs.address() + (long) i * IOVEC_BYTES);
            headers.set(ValueLayout.JAVA_LONG, h + MSG_IOVLEN, 1);
            from[i] = headers.asSlice(h);
        }
        lastReceived = capacity;
    }

    public int capacity() {
        return capacity;
    }

    /** Points message {@code i}'s one buffer at {@code length} bytes of native memory at {@code address}. */
    public void buffer(int i, long address, int length) {
        long v = (long) i * IOVEC_BYTES;
        iovecs.set(ValueLayout.JAVA_LONG, v, address);
        iovecs.set(ValueLayout.JAVA_LONG, v + 8, length);
    }

    /**
     * One {@code recvmmsg} on {@code fd}, not waiting, into every message's buffer.
     *
     * @return datagrams received, or {@code -errno} ({@code -EAGAIN}: none queued)
     */
    public int receive(int fd) {
        for (int i = 0; i < lastReceived; i++) {
            long h = (long) i * HEADER_BYTES;
            headers.set(ValueLayout.JAVA_INT, h + MSG_NAMELEN, SOCKADDR_IN6_LEN);
            headers.set(ValueLayout.JAVA_INT, h + MSG_FLAGS, 0);
        }
        int n = LibC.recvmmsg(state, fd, headers, capacity);
        lastReceived = n > 0 ? n : 0;
        return n;
    }

    /** The bytes message {@code i} received (at most its buffer's length). */
    public int length(int i) {
        return headers.get(ValueLayout.JAVA_INT, (long) i * HEADER_BYTES + MSG_LEN);
    }

    /** Whether message {@code i}'s datagram was longer than its buffer (the kernel cut it). */
    public boolean truncated(int i) {
        return (headers.get(ValueLayout.JAVA_INT, (long) i * HEADER_BYTES + MSG_FLAGS) & LibC.MSG_TRUNC) != 0;
    }

    /**
     * Sets {@code probe} to message {@code i}'s sender.
     *
     * @return false when the sender is of neither IP family (then {@code probe} is unchanged)
     */
    public boolean sender(int i, ClientAddress probe) {
        long n = (long) i * NAME_BYTES;
        int family = names.get(ValueLayout.JAVA_SHORT, n) & 0xFFFF;
        int port = names.get(NET_SHORT, n + 2) & 0xFFFF;
        if (family == LibC.AF_INET) {
            probe.setV4(names.get(NET_INT, n + 4), port);
            return true;
        }
        if (family == LibC.AF_INET6) {
            probe.setV6(names.get(NET_LONG, n + 8), names.get(NET_LONG, n + 16), port,
                    names.get(ValueLayout.JAVA_INT, n + 24));
            return true;
        }
        return false;
    }

    /**
     * Addresses message {@code i} to {@code client}: a {@code sockaddr_in6} on an IPv6 socket
     * ({@code v6Socket}; an IPv4 client in its mapped form), else a {@code sockaddr_in}.
     */
    public void recipient(int i, ClientAddress client, boolean v6Socket) {
        long n = (long) i * NAME_BYTES;
        long h = (long) i * HEADER_BYTES;
        if (v6Socket) {
            names.set(ValueLayout.JAVA_SHORT, n, (short) LibC.AF_INET6);
            names.set(NET_SHORT, n + 2, (short) client.port());
            names.set(ValueLayout.JAVA_INT, n + 4, 0);
            names.set(NET_LONG, n + 8, client.high());
            names.set(NET_LONG, n + 16, client.low());
            names.set(ValueLayout.JAVA_INT, n + 24, client.scope());
            headers.set(ValueLayout.JAVA_INT, h + MSG_NAMELEN, SOCKADDR_IN6_LEN);
        } else {
            names.set(ValueLayout.JAVA_SHORT, n, (short) LibC.AF_INET);
            names.set(NET_SHORT, n + 2, (short) client.port());
            names.set(NET_INT, n + 4, client.v4());
            names.set(ValueLayout.JAVA_LONG, n + 8, 0L);
            headers.set(ValueLayout.JAVA_INT, h + MSG_NAMELEN, SOCKADDR_IN_LEN);
        }
    }

    /**
     * One {@code sendmmsg} on {@code fd}, not waiting, of messages {@code first} to
     * {@code first + count - 1}.
     *
     * @return datagrams sent (the first that failed is {@code first} plus that), or {@code -errno}
     *         when the first one failed
     */
    public int send(int fd, int first, int count) {
        return LibC.sendmmsg(state, fd, from[first], count);
    }

    /** Frees the native memory; on the owning thread, after its last call. */
    @Override
    public void close() {
        arena.close();
    }
}
