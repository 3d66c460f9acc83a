package io.wavelb.core.takeover;

import java.util.List;

/**
 * What a takeover asks of the process being taken over, in the order it asks: the listener
 * sockets and a snapshot of the sessions (it keeps serving both), then what changed since (it
 * stops reading everything), then either {@link #handedOver} (the new process has it all) or
 * {@link #thaw} (it does not: serve on).
 */
public interface RunningSide {

    /** The listener sockets, in the order of {@code sockets} and their members, and every target's health. */
    record Offer(List<TakeoverProtocol.ListenerSocket> sockets, List<Integer> fds, List<TakeoverProtocol.TargetHealth> health) {
        public Offer {
            sockets = List.copyOf(sockets);
            fds = List.copyOf(fds);
            health = List.copyOf(health);
        }
    }

    /** Live UDP sessions with their upstream sockets, in the same order. */
    record Sessions(List<TakeoverProtocol.SessionState> sessions, List<Integer> fds) {
        public Sessions {
            sessions = List.copyOf(sessions);
            fds = List.copyOf(fds);
        }
    }

    /** Since the snapshot: the ids of the sessions that ended, and those opened (with their sockets). */
    record Change(List<Long> closed, Sessions opened) {
        public Change {
            closed = List.copyOf(closed);
        }
    }

    Offer offer();

    /** The live UDP sessions now, each with an id; this process serves on with them. */
    Sessions snapshot() throws Exception;

    /** Stops reading every listener and session socket (the kernel queues what arrives); what changed since the snapshot. */
    Change freeze() throws Exception;

    /** The new process holds everything: close this process's copies (TCP connections go on here). */
    void handedOver() throws Exception;

    /** The takeover failed after {@link #freeze}: read everything again, as before. */
    void thaw();

    /** The takeover failed after {@link #snapshot} and before {@link #freeze}: the sessions offered are this process's alone again. */
    void withdraw();
}
