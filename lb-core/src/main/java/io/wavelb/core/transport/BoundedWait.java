package io.wavelb.core.transport;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A wait, with a bound, for work handed to event loops (a close, a step of a shutdown or a
 * takeover): a stuck loop is said in the log, not waited for, and the caller goes on.
 */
public final class BoundedWait {

    private BoundedWait() {
    }

    /** Waits at most {@code bound} for Netty's {@code work}; past it warns {@code what + " has not finished after N s ..."}. */
    public static boolean await(io.netty.util.concurrent.Future<?> work, Duration bound, System.Logger log, String what) {
        if (work.awaitUninterruptibly(bound.toMillis())) {
            return true;
        }
        log.log(System.Logger.Level.WARNING, notFinished(what, bound));
        return false;
    }

    /**
     * Waits at most {@code bound} for {@code work}; past it warns {@code what + " has not finished
     * after N s (an event loop is stuck); going on without it"}, on a failure {@code what + " failed: " + cause}.
     */
    public static void await(CompletableFuture<?> work, Duration bound, System.Logger log, String what) {
        await(work, bound, log, notFinished(what, bound), what + " failed");
    }

    /**
     * Waits at most {@code bound} for {@code work}. Past it, warns {@code timedOut}; on a failure,
     * {@code failed + ": " + cause}; the caller goes on either way (at once when interrupted, the
     * interrupt kept).
     */
    public static void await(CompletableFuture<?> work, Duration bound, System.Logger log, String timedOut, String failed) {
        try {
            work.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            log.log(System.Logger.Level.WARNING, timedOut);
        } catch (ExecutionException e) {
            log.log(System.Logger.Level.WARNING, failed + ": " + e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static String notFinished(String what, Duration bound) {
        return what + " has not finished after " + bound.toSeconds() + " s (an event loop is stuck); going on without it";
    }
}
