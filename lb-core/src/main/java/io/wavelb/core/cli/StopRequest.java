package io.wavelb.core.cli;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * What SIGTERM/SIGINT ask of a running balancer. The first starts the graceful stop (no new flows,
 * open TCP connections get the grace period); a second one, as NGINX's and Envoy's operators
 * expect, skips the rest of the grace period: the thread draining connections is interrupted and
 * closes what is left at once. Further signals change nothing.
 *
 * <p>The signal may come before the stopping thread starts draining, or while it drains; either way
 * the skip is seen: the signal sets {@code skip} before looking for a draining thread, and the
 * drainer registers itself before reading {@code skip}.
 */
final class StopRequest {

    private static final System.Logger LOG = System.getLogger("wavelb");

    private final CountDownLatch stop = new CountDownLatch(1);
    private final ReentrantLock lock = new ReentrantLock();
    private int signals;
    private volatile boolean skip;
    private Thread draining;

    /**
     * A takeover moved everything but open TCP connections to another process: stop as on a first
     * signal (logged by the takeover), so a stop signal after it skips the rest of the grace period.
     */
    void takenOver() {
        lock.lock();
        try {
            signals++;
            if (signals == 1) {
                stop.countDown();
            }
        } finally {
            lock.unlock();
        }
    }

    /** A stop signal arrived (called from the signal thread). */
    void signal(String name) {
        lock.lock();
        try {
            signals++;
            if (signals == 1) {
                LOG.log(System.Logger.Level.INFO, "SIG" + name + ": stopping gracefully (send it again to close open "
                        + "connections now)");
                stop.countDown();
            } else if (signals == 2) {
                LOG.log(System.Logger.Level.WARNING, "second stop signal (SIG" + name + "): skipping the rest of the "
                        + "grace period; closing open connections now");
                skip = true;
                if (draining != null) {
                    draining.interrupt();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** The first signal's latch (the serving thread and the demo view wait on it). */
    CountDownLatch latch() {
        return stop;
    }

    /**
     * Runs {@code drain} with the grace period it still has ({@link Duration#ZERO} when a second
     * signal came already); a second signal during it interrupts the calling thread. The interrupt
     * status is cleared on return, so it does not leak into what runs after.
     */
    void drain(Duration grace, Consumer<Duration> drain) {
        lock.lock();
        try {
            draining = Thread.currentThread();
        } finally {
            lock.unlock();
        }
        try {
            drain.accept(skip ? Duration.ZERO : grace);
        } finally {
            lock.lock();
            try {
                draining = null;
                Thread.interrupted();
            } finally {
                lock.unlock();
            }
        }
    }

    boolean skipped() {
        return skip;
    }
}
