package io.wavelb.core.stats;

import java.util.Locale;

/**
 * Every counter a listener keeps. Directions are seen from the client: {@code RX} is client to
 * target, {@code TX} is target to client. The {@code DROPPED_*} and {@code CLOSED_*} entries are the
 * bounded {@code reason} tag values of the metrics.
 */
public enum ListenerCounter {
    DATAGRAMS_RX, DATAGRAMS_TX, BYTES_RX, BYTES_TX,
    /** Client datagrams that left for their target in a UDP GSO burst (several per send system call). */
    UDP_GSO_DATAGRAMS,
    SESSIONS_CREATED,
    /** UDP sessions received from the process this one took over, with their upstream sockets. */
    SESSIONS_ADOPTED,
    /**
     * Replies the kernel dropped on sessions' sockets towards their targets for want of
     * receive-queue room ({@code udp.session_receive_buffer}), before wavelb read them.
     */
    UDP_SESSION_KERNEL_DROPS,
    /**
     * {@code udp.mode: per_packet}: sessions opened as a client's leg towards one more target (also
     * counted in {@link #SESSIONS_CREATED}: each holds a socket and a {@code max_sessions} place).
     */
    UDP_LEGS_OPENED,
    /**
     * {@code udp.mode: per_packet}: datagrams sent to the client's first target instead of the one
     * picked, because no leg could be opened towards it (at {@code max_sessions}, or no socket).
     */
    UDP_LEG_FALLBACK,
    CLOSED_IDLE, CLOSED_TARGET_UNREACHABLE, CLOSED_SHUTDOWN,
    /** The target left the group (reload, dynamic list, admin drain) and its deregistration delay ran out. */
    CLOSED_TARGET_REMOVED,
    /** The target turned unhealthy; the client's next datagram was sent to another target. */
    CLOSED_TARGET_UNHEALTHY,
    /** The listener was removed or rebound by a reload. */
    CLOSED_EVICTED,
    /** Ended by its session-end hints: the replies expected ({@code udp.max_responses}) came back. */
    CLOSED_COMPLETED,
    /**
     * The client's datagram named another target (its QUIC connection ID or ICE ufrag): the session
     * on this client address was moved there.
     */
    CLOSED_REROUTED,
    /**
     * The listener was at {@code max_sessions} and a new client arrived: the session of this loop
     * quiet the longest (at least a second) made room for it.
     */
    CLOSED_SESSION_CAP,
    /** Handed to the process that took this one over: the session goes on there, on the same socket. */
    CLOSED_HANDED_OVER,
    /** Datagram larger than {@code max_datagram_size}. */
    DROPPED_OVERSIZE,
    /** New flow while the listener is at {@code max_sessions}. */
    DROPPED_SESSION_CAP,
    /** New flow while the target group has no target. */
    DROPPED_NO_TARGET,
    /** The upstream socket could not take the datagram (send buffer full, socket error). */
    DROPPED_UPSTREAM_BUSY,
    /** The reply could not be written back to the client. */
    DROPPED_CLIENT_BUSY,
    /** No socket could be opened for a new session (typically out of file descriptors). */
    DROPPED_SOCKET_ERROR,
    /**
     * A new session's socket got no local port: every port of the kernel's ephemeral range
     * ({@code net.ipv4.ip_local_port_range}) is held by another UDP socket of the host; or a TCP
     * connection to a target got none: every port holds a connection to that target.
     */
    DROPPED_NO_LOCAL_PORT,
    /** Datagrams that arrived while the session's upstream socket was still connecting, over the queue bound. */
    DROPPED_PENDING_OVERFLOW,
    /**
     * New UDP session or TCP connection refused because its client (address, or prefix) holds
     * {@code udp.max_sessions_per_client} / {@code tcp.max_connections_per_client} flows already.
     */
    DROPPED_CLIENT_LIMIT,
    /**
     * A transparent listener's new flow could not take the client's address: the client's family
     * is not the target's, the client's IP and port are bound already (the same client port through
     * another transparent listener; UDP), or IP_TRANSPARENT was refused (no CAP_NET_RAW).
     */
    DROPPED_TRANSPARENT_BIND,
    /** New TCP connection or UDP session refused because the balancer is overloaded (memory budget). */
    DROPPED_OVERLOAD,
    /**
     * A buffer could not be allocated within the memory budget: the datagram is dropped, or the TCP
     * connection it was for is closed.
     */
    DROPPED_NO_MEMORY,
    TCP_ACCEPTED, TCP_CONNECT_FAILURES, TCP_NO_TARGET, TCP_CLOSED_IDLE,
    /**
     * Accepts that failed (EMFILE: at RLIMIT_NOFILE; ENFILE, ENOMEM, ENOBUFS): the listener stops
     * accepting for a second each time, and clients wait in the backlog meanwhile.
     */
    TCP_ACCEPT_FAILURES,
    /** Closed by the overload manager: among the connections holding the most buffered bytes. */
    TCP_CLOSED_OVERLOAD,
    /** A side still had bytes queued {@code tcp.close_timeout} after the connection ended: closed anyway. */
    TCP_CLOSE_TIMEOUT,
    /** {@code affinity: quic}: the destination connection ID named a known target's server ID. */
    QUIC_CID,
    /**
     * No routable ID (a client-chosen ID in an Initial or 0-RTT, another config's ID, a datagram
     * too short or not QUIC): the 5-tuple decides, and the session remembers it.
     */
    QUIC_FALLBACK,
    /** The ID's config-rotation bits are 0b111: the server asked for 4-tuple routing. */
    QUIC_UNROUTABLE,
    /** A server-chosen ID whose server ID no target has (stale or forged): the 5-tuple decides. */
    QUIC_UNKNOWN_SERVER_ID,
    /** {@code affinity: stun}: Binding Requests routed by a target's server ID as ufrag prefix. */
    STUN_SERVER_ID,
    /** Binding Requests routed by the hash of their receiving ufrag (no server ID matched). */
    STUN_UFRAG_HASH,
    /** Binding Requests without a USERNAME: routed by the 5-tuple. */
    STUN_NO_USERNAME;

    public String tagValue() {
        String n = name().toLowerCase(Locale.ROOT);
        int cut = n.indexOf('_');
        return n.startsWith("dropped_") || n.startsWith("closed_") || n.startsWith("quic_") || n.startsWith("stun_")
                ? n.substring(cut + 1) : n;
    }
}
