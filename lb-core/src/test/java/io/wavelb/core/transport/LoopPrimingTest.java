package io.wavelb.core.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The loops' first allocations before the bind: every size, every round, every buffer freed, on every loop. */
class LoopPrimingTest {

    /** Notes which threads allocated; the buffers are unpooled ones, whose outstanding memory {@link #unpooled} counts. */
    private static final class Watching extends AbstractByteBufAllocator {
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();
        final UnpooledByteBufAllocator unpooled = new UnpooledByteBufAllocator(true);

        Watching() {
            super(true);
        }

        @Override
        protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
            return unpooled.heapBuffer(initialCapacity, maxCapacity);
        }

        @Override
        protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
            threads.add(Thread.currentThread());
            return unpooled.directBuffer(initialCapacity, maxCapacity);
        }

        @Override
        public boolean isDirectBufferPooled() {
            return false;
        }
    }

    @Test
    void allocatesEverySizeBothWaysAndFreesEverything() {
        Watching alloc = new Watching();
        int touched = LoopPriming.allocate(alloc, new int[] {64, 1200, 9217});
        assertThat(touched).isEqualTo(3 * LoopPriming.ROUNDS);
        assertThat(alloc.unpooled.metric().usedDirectMemory()).as("nothing held after priming").isZero();
    }

    @Test
    void runsOnEveryLoopAndReturnsWhenTheyAreDone() throws Exception {
        EventLoopGroup loops = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        try {
            Watching alloc = new Watching();
            LoopPriming.prime(loops, alloc, new int[] {64, 16_384});
            assertThat(alloc.threads).as("each loop thread allocated, and only they").hasSize(2)
                    .noneMatch(t -> t == Thread.currentThread());
            assertThat(alloc.unpooled.metric().usedDirectMemory()).isZero();
        } finally {
            loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
