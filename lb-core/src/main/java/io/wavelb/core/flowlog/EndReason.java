package io.wavelb.core.flowlog;

import io.wavelb.core.stats.ListenerCounter;
import java.util.Locale;

/**
 * Why a flow ended: the {@code end_reason} of its record. The UDP reasons are the
 * {@code wavelb_sessions_closed_total} reasons, spelled the same; the TCP ones say which side or
 * which of the balancer's actions ended the connection.
 */
public enum EndReason {
    /** UDP: nothing either way for {@code udp.idle_timeout}. TCP: nothing for {@code tcp.idle_timeout} (or the overload manager's shortened one). */
    IDLE,
    /** UDP: the target refused (ICMP port unreachable) or its socket failed. */
    TARGET_UNREACHABLE,
    /** The balancer stopped: UDP sessions at once, TCP connections at the end of the grace period. */
    SHUTDOWN,
    /** The target left the group (reload, dynamic list, admin drain) and its deregistration delay ran out. */
    TARGET_REMOVED,
    /** The target turned unhealthy: UDP on the client's next datagram, TCP with {@code terminate_on_unhealthy}. */
    TARGET_UNHEALTHY,
    /** UDP: the listener was removed or rebound by a reload. */
    EVICTED,
    /** UDP: the replies {@code udp.max_responses} expects came back. */
    COMPLETED,
    /** UDP: the client's datagram named another target (QUIC connection ID, STUN ufrag). */
    REROUTED,
    /** UDP: the listener was at {@code max_sessions}; this session, quiet the longest, made room for a new client. */
    SESSION_CAP,
    /** UDP: handed to the process that took this one over, where it goes on (and gets a record of its own). */
    HANDED_OVER,
    /** TCP: both sides sent their FIN. */
    CLOSED,
    /** TCP: the client closed or reset its connection before both FINs. */
    CLIENT_CLOSED,
    /** TCP: the target closed or reset its connection before both FINs. */
    TARGET_CLOSED,
    /** TCP: no target to connect to, or every target tried refused the connection or timed out. */
    NO_TARGET,
    /** TCP: no local port was free for a connection to any target tried (the ephemeral port range). */
    NO_LOCAL_PORT,
    /** TCP: no socket could be made for the connection to a target (EMFILE: the process is at LimitNOFILE; ENFILE). */
    SOCKET_ERROR,
    /** TCP: closed by the overload manager, among the connections holding the most buffered bytes. */
    OVERLOAD,
    /** TCP: a buffer could not be allocated within the memory budget. */
    NO_MEMORY;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The {@code end_reason} value. */
    public String label() {
        return label;
    }

    /** The end reason of a UDP session closed as {@code closed} (a {@code CLOSED_*} counter). */
    public static EndReason of(ListenerCounter closed) {
        return switch (closed) {
            case CLOSED_IDLE -> IDLE;
            case CLOSED_TARGET_UNREACHABLE -> TARGET_UNREACHABLE;
            case CLOSED_SHUTDOWN -> SHUTDOWN;
            case CLOSED_TARGET_REMOVED -> TARGET_REMOVED;
            case CLOSED_TARGET_UNHEALTHY -> TARGET_UNHEALTHY;
            case CLOSED_EVICTED -> EVICTED;
            case CLOSED_COMPLETED -> COMPLETED;
            case CLOSED_REROUTED -> REROUTED;
            case CLOSED_SESSION_CAP -> SESSION_CAP;
            case CLOSED_HANDED_OVER -> HANDED_OVER;
            default -> throw new IllegalArgumentException(closed + " is not a reason a session closes");
        };
    }
}
