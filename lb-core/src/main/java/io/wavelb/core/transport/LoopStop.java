package io.wavelb.core.transport;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import io.netty.util.concurrent.ThreadProperties;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Stops event loops with a bound on the wait: a loop that never runs again (held by a task, blocked
 * in a system call) must not keep a close, and so the process, from ending. A loop still running
 * at the bound is named in a warning, with where it is.
 */
public final class LoopStop {

    /** Frames of a stuck loop's stack said in the warning: enough to name the call it is in. */
    private static final int FRAMES_SAID = 6;

    private LoopStop() {
    }

    /**
     * Asks {@code loops} to stop (no quiet period, tasks given {@code grace}) and waits at most
     * {@code bound}. Past it, warns {@code stuck + " after N s; going on without them; <loop> at <frames>"}.
     *
     * @return whether every loop has stopped
     */
    public static boolean stop(EventExecutorGroup loops, Duration grace, Duration bound, System.Logger log, String stuck) {
        if (loops.shutdownGracefully(0, grace.toMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly(bound.toMillis())) {
            return true;
        }
        log.log(System.Logger.Level.WARNING, stuck + " after " + bound.toSeconds() + " s; going on without them"
                + whereStuck(loops));
        return false;
    }

    /** "; <name> at <frame> < <frame> ..." for each loop of {@code loops} not yet ended. */
    static String whereStuck(EventExecutorGroup loops) {
        StringBuilder stuck = new StringBuilder();
        for (EventExecutor e : loops) {
            if (!e.isTerminated() && e instanceof SingleThreadEventExecutor loop) {
                ThreadProperties t = loop.threadProperties();
                stuck.append("; ").append(t.name()).append(" at");
                StackTraceElement[] frames = t.stackTrace();
                for (int i = 0; i < Math.min(FRAMES_SAID, frames.length); i++) {
                    stuck.append(i == 0 ? " " : " < ").append(frames[i]);
                }
            }
        }
        return stuck.toString();
    }
}
