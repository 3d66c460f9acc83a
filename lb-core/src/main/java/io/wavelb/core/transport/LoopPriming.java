package io.wavelb.core.transport;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Before the listeners bind, each event loop allocates and frees the buffers its first packets
 * will need. A new loop thread's first allocation takes branches its predecessors' compiled code
 * never took: the allocator's per-thread magazine and Netty's thread-local slots are created then.
 * Where the start-up warm-up compiled that code on other threads, those first uses are
 * deoptimisations (uncommon traps, seen with {@code -Xlog:deoptimization}), and the code runs
 * interpreted until it is compiled again: 10-30 ms after the bind in the cold-start benchmark,
 * long enough to overflow a listener's receive queue (benchmarks/README.md, "Cold start"). Done
 * here, they happen while nothing is listening yet. Bounded: {@link #ROUNDS} allocations of each
 * size per loop, all freed, a few milliseconds.
 */
public final class LoopPriming {

    static final int ROUNDS = 2_000;

    private LoopPriming() {
    }

    /**
     * Runs the allocations on every loop of {@code loops} and waits for them (at most 5 s; a loop
     * that does not answer by then is left to finish on its own).
     *
     * @param sizes buffer sizes the data path allocates: datagrams, receive areas, read buffers
     */
    public static void prime(EventLoopGroup loops, ByteBufAllocator alloc, int[] sizes) {
        List<Future<?>> done = new ArrayList<>();
        for (EventExecutor loop : loops) {
            done.add(loop.submit(() -> allocate(alloc, sizes)));
        }
        for (Future<?> f : done) {
            f.awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
    }

    /**
     * On the loop: each size allocated, filled and freed {@link #ROUNDS} times, both ways the data
     * path does it: a buffer of exactly the size, filled by a copy from another direct buffer (a
     * datagram out of the listener's receive area), and a fixed one written up to an index (a
     * reply read into its buffer).
     */
    static int allocate(ByteBufAllocator alloc, int[] sizes) {
        int largest = 0;
        for (int size : sizes) {
            largest = Math.max(largest, size);
        }
        ByteBuf source;
        try {
            source = alloc.directBuffer(largest, largest).writerIndex(largest);
        } catch (OutOfMemoryError e) {
            return 0;
        }
        int touched = 0;
        try {
            for (int round = 0; round < ROUNDS; round++) {
                for (int size : sizes) {
                    ByteBuf copy = alloc.directBuffer(size);
                    try {
                        copy.writeBytes(source, 0, size);
                        touched += copy.readableBytes() == size ? 1 : 0;
                    } finally {
                        copy.release();
                    }
                    ByteBuf fixed = alloc.directBuffer(size, size);
                    try {
                        fixed.writerIndex(size);
                    } finally {
                        fixed.release();
                    }
                }
            }
        } catch (OutOfMemoryError e) {
            // The budget is smaller than the sizes: what was primed is enough.
        } finally {
            source.release();
        }
        return touched;
    }
}
