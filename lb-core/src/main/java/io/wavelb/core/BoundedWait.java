package io.wavelb.core;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** A wait, with a bound, for work handed to the event loops: a stuck loop is said in the log, not waited for. */
final class BoundedWait {

    private BoundedWait() {
    }

    /**
     * Waits at most {@code bound} for {@code work}. Past it, warns {@code timedOut}; on a failure,
     * {@code failed + ": " + cause}; the caller goes on either way (at once when interrupted, the
     * interrupt kept).
     */
    static void await(CompletableFuture<?> work, Duration bound, System.Logger log, String timedOut, String failed) {
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
}
