package io.wavelb.core.takeover;

import java.util.List;

/**
 * What a takeover asks of the process being taken over, in the order it asks: the listener
 * sockets (it keeps serving), then its sessions (it stops reading everything), then either
 * {@link #handedOver} (the new process has it all) or {@link #thaw} (it does not: serve on).
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

    /** The live UDP sessions with their upstream sockets, in the same order. */
    record Frozen(List<TakeoverProtocol.SessionState> sessions, List<Integer> fds) {
        public Frozen {
            sessions = List.copyOf(sessions);
            fds = List.copyOf(fds);
        }
    }

    Offer offer();

    /** Stops reading every listener and session socket (the kernel queues what arrives) and returns the sessions. */
    Frozen freeze() throws Exception;

    /** The new process holds everything: close this process's copies (TCP connections go on here). */
    void handedOver() throws Exception;

    /** The takeover failed after {@link #freeze}: read everything again, as before. */
    void thaw();
}
