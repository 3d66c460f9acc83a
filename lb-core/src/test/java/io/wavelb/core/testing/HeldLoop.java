package io.wavelb.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * An event loop kept busy by a task of the test's until {@link #release}d (at most
 * {@link #HOLD_SECONDS}): what arrives meanwhile waits in the kernel, and what is handed to the
 * loop waits in its queue. Closing releases it too.
 */
public final class HeldLoop implements AutoCloseable {

    public static final long HOLD_SECONDS = 60;

    private final CountDownLatch release = new CountDownLatch(1);
    private final Future<?> task;

    private HeldLoop(EventExecutor loop) throws InterruptedException {
        CountDownLatch parked = new CountDownLatch(1);
        task = loop.submit(() -> {
            parked.countDown();
            return release.await(HOLD_SECONDS, TimeUnit.SECONDS);
        });
        assertThat(parked.await(30, TimeUnit.SECONDS)).as("the loop took the holding task").isTrue();
    }

    /** Holds {@code loop}; returns once the loop is running the holding task. */
    public static HeldLoop hold(EventExecutor loop) throws InterruptedException {
        return new HeldLoop(loop);
    }

    /** Whether the loop is still held: not released, and the holding task still waiting. */
    public boolean holding() {
        return release.getCount() > 0 && !task.isDone();
    }

    /** Lets the loop go on and waits (at most 5 s) for the holding task to end. */
    public void release() throws Exception {
        release.countDown();
        task.get(5, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (release.getCount() > 0) {
            release();
        }
    }
}
