package io.wavelb.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Makes Netty's leak detector speak before the JVM exits. A leaked ByteBuf is only reported once
 * it has been garbage collected and a later allocation polls the detector's queue; a short test
 * class can end before either happens. After each class this collects garbage and allocates, so
 * any leak is logged as {@code LEAK:} — which {@code bin/test} turns into a failed build.
 * Registered for every test class through {@code META-INF/services} auto-detection.
 */
public final class LeakCheckExtension implements AfterAllCallback {

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        for (int round = 0; round < 3; round++) {
            System.gc();
            Thread.sleep(50);
            for (int i = 0; i < 200; i++) {
                ByteBuf pooled = PooledByteBufAllocator.DEFAULT.directBuffer(64);
                pooled.release();
                ByteBuf heap = PooledByteBufAllocator.DEFAULT.heapBuffer(64);
                heap.release();
                ByteBuf unpooled = UnpooledByteBufAllocator.DEFAULT.directBuffer(64);
                unpooled.release();
            }
        }
    }
}
