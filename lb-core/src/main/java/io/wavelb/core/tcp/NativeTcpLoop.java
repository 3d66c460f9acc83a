package io.wavelb.core.tcp;

import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.IoEventLoop;
import io.wavelb.core.linux.LibC;
import io.wavelb.core.stats.LoopCounters;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;

/**
 * What the native connections of one listener on one event loop share: the loop, its counters and
 * connection list, the buffer every read goes through, and the loop's own libc call state. Owned by
 * the loop; nothing here is touched from another thread.
 */
final class NativeTcpLoop {

    /**
     * One read takes at most this much. Data is written on at once, so the buffer is only borrowed
     * for the time of a read and its write; only what a write leaves is copied into a buffer of its
     * own ({@link NativeTcpConnection}'s pending bytes, at most this much per direction).
     */
    static final int READ_BYTES = 64 * 1024;

    final IoEventLoop loop;
    final LoopCounters counters;
    final TcpLoopConnections connections;
    final ByteBufAllocator alloc;
    final LibC.StreamCalls calls;
    /** Not from the allocator (the leak detector would watch a buffer that lives as long as the loop): the GC frees it. */
    final ByteBuffer readBuffer = ByteBuffer.allocateDirect(READ_BYTES);
    final long readAddress = MemorySegment.ofBuffer(readBuffer).address();

    NativeTcpLoop(IoEventLoop loop, LoopCounters counters, TcpLoopConnections connections, ByteBufAllocator alloc) {
        this.loop = loop;
        this.counters = counters;
        this.connections = connections;
        this.alloc = alloc;
        this.calls = new LibC.StreamCalls(Arena.ofAuto());
    }
}
