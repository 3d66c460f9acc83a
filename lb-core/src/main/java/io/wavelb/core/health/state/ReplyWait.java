package io.wavelb.core.health.state;

/**
 * Passive health of a UDP flow by its replies: when a flow that sent to its target has heard
 * nothing back for the reply timeout, that counts as one failed flow. The state is one
 * {@code long} the flow owner keeps per flow (no object per flow): {@link #ANSWERED}, or the
 * {@link System#nanoTime()} of the first datagram sent since the last reply. Time is passed in, so
 * this is tested without clocks.
 *
 * <p>Off by default at the config level: one-way protocols (syslog, send-only RTP) never reply,
 * and a target silent by design must not look dead.
 */
public final class ReplyWait {

    /** Nothing sent since the last reply (or since the flow opened). */
    public static final long ANSWERED = Long.MIN_VALUE;

    private ReplyWait() {
    }

    /** The wait after a datagram went to the target at {@code nowNanos}: the first unanswered send starts it. */
    public static long sent(long since, long nowNanos) {
        return since == ANSWERED ? nowNanos : since;
    }

    /**
     * True when the flow has waited {@code timeoutNanos} or longer for a reply; the caller counts
     * one failure and sets the wait back to {@link #ANSWERED}, so a flow that keeps sending into
     * silence fails once per timeout, not once per sweep.
     */
    public static boolean timedOut(long since, long nowNanos, long timeoutNanos) {
        return since != ANSWERED && timeoutNanos > 0 && nowNanos - since >= timeoutNanos;
    }
}
