package io.wavelb.core.testing;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import io.netty.util.ResourceLeakDetectorFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails the test class during which Netty reported a leaked ByteBuf, under plain {@code mvn verify}.
 *
 * <p>Netty reports a leak only once the leaked buffer has been garbage collected and a later
 * allocation polls the detector's queue, and then only as a {@code LEAK:} log line. So this installs
 * a {@link ResourceLeakDetectorFactory} whose detectors also hand each report to a queue (Netty's
 * {@link ResourceLeakDetector.LeakListener}); after each class it collects garbage and allocates, so
 * the class's own leaks are reported before it ends, and fails the class with the leak records when
 * the queue is not empty. {@code bin/test}'s grep of {@code LEAK:} stays as a second net (it also
 * sees the child processes' logs). A leak reported during a class is charged to it even when an
 * earlier class made it; the records say where the buffer was last touched.
 *
 * <p>Registered for every test class through {@code META-INF/services} auto-detection, which loads
 * it before any test class runs, so before Netty creates its ByteBuf detector; {@link #afterAll}
 * fails loudly if that order ever breaks.
 */
public final class LeakCheckExtension implements AfterAllCallback {

    /**
     * A buffer touched with this hint leaks on purpose (the extension's own test): reported to the
     * queue as any leak, but not logged, so {@code bin/test}'s grep does not fail the build for it.
     */
    public static final String DELIBERATE = "wavelb: deliberate leak";

    private static final Queue<String> LEAKS = new ConcurrentLinkedQueue<>();
    private static volatile boolean byteBufsWatched;

    static {
        ResourceLeakDetectorFactory.setResourceLeakDetectorFactory(new ListeningFactory());
    }

    /**
     * Makes Netty's leak detector report what it found: a leaked buffer is reported only when a
     * later allocation finds it collected. Also for child JVMs the tests start, which print Netty's
     * {@code LEAK:} lines for the test to find.
     */
    public static void provokeReports() throws InterruptedException {
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

    @Override
    public void afterAll(ExtensionContext context) throws InterruptedException {
        provokeReports();
        if (!byteBufsWatched) {
            throw new AssertionError("LeakCheckExtension was installed after Netty created its ByteBuf leak "
                    + "detector, so leaks would go unnoticed: keep it auto-detected (META-INF/services)");
        }
        List<String> leaks = new ArrayList<>();
        for (String leak; (leak = LEAKS.poll()) != null; ) {
            leaks.add(leak);
        }
        if (!leaks.isEmpty()) {
            throw new AssertionError("LEAK: " + leaks.size() + " leaked buffer(s) reported by Netty during "
                    + context.getDisplayName() + " (release every ByteBuf exactly once, STYLE rule 5):\n"
                    + String.join("\n", leaks));
        }
    }

    private static void record(String resourceType, String records) {
        LEAKS.add(resourceType + (records.isEmpty() ? " (no access records)" : ":" + records));
    }

    /** Netty's default detectors, each also reporting to {@link #LEAKS}. */
    private static final class ListeningFactory extends ResourceLeakDetectorFactory {

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval,
                                                                    long maxActive) {
            return newResourceLeakDetector(resource, samplingInterval);
        }

        @Override
        public <T> ResourceLeakDetector<T> newResourceLeakDetector(Class<T> resource, int samplingInterval) {
            ResourceLeakDetector<T> detector = new Detector<>(resource, samplingInterval);
            detector.setLeakListener(LeakCheckExtension::record);
            if (resource == ByteBuf.class) {
                byteBufsWatched = true;
            }
            return detector;
        }
    }

    /** Logs as Netty's own does, except the leak made on purpose by the extension's test. */
    private static final class Detector<T> extends ResourceLeakDetector<T> {

        Detector(Class<T> resource, int samplingInterval) {
            super(resource, samplingInterval);
        }

        @Override
        protected void reportTracedLeak(String resourceType, String records) {
            if (!records.contains(DELIBERATE)) {
                super.reportTracedLeak(resourceType, records);
            }
        }
    }
}
