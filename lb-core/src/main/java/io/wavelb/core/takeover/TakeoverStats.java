package io.wavelb.core.takeover;

import java.util.concurrent.atomic.AtomicLong;

/**
 * What this process's takeovers did, from one side: as the process taken over ("old") or the one
 * taking over ("new"). Read by the metrics.
 */
public final class TakeoverStats {

    public final AtomicLong started = new AtomicLong();
    public final AtomicLong completed = new AtomicLong();
    /** Failed after starting: the process taken over serves on with everything it had. */
    public final AtomicLong failed = new AtomicLong();
    /** Refused before anything moved: busy, another protocol version, another user. */
    public final AtomicLong refused = new AtomicLong();
    public final AtomicLong sessions = new AtomicLong();
    public final AtomicLong sockets = new AtomicLong();
    /** The last completed takeover, from the first message to the last, in nanoseconds. */
    public final AtomicLong lastDurationNanos = new AtomicLong();
    /** The part of it in which no process read the sockets, in nanoseconds. */
    public final AtomicLong lastPauseNanos = new AtomicLong();
}
