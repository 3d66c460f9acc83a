package io.wavelb.config;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * UDP session behaviour of a listener.
 *
 * @param idleTimeout     a session with no datagram in either direction for this long is closed (NLB: 120 s)
 * @param maxSessions     cap on concurrent sessions of the listener; a new flow over the cap is counted and dropped
 * @param maxDatagramSize larger datagrams are counted and dropped, never truncated and forwarded
 * @param maxRequests     session-end hint (NGINX's {@code proxy_requests}): after this many client
 *                        datagrams the client's next datagram starts a new session; 0 = no limit
 * @param maxResponses    session-end hint (NGINX's {@code proxy_responses}): the session ends once
 *                        this many replies per client datagram came back; 0 = no limit (idle only)
 * @param affinity        what keeps a client on one target (default: the 5-tuple)
 * @param quicLb          the connection ID format; present exactly when {@code affinity} is {@code QUIC}
 * @param receiveBuffer   SO_RCVBUF of the listener sockets in bytes; 0 keeps the kernel default
 * @param maxSessionsPerClient cap on one client's concurrent sessions (a client: the listener's
 *                        {@link ClientPrefix}); a new flow over it is counted ({@code client_limit}) and dropped; 0 = none
 * @param mode            per flow (a client address stays on one target) or per packet (each datagram picks its
 *                        target; the session holds one upstream socket per target it used)
 * @param sessionReceiveBuffer SO_RCVBUF of each session's socket towards its target (where its replies wait
 *                        for the event loop) in bytes; 0 keeps the kernel default
 */
public record UdpSettings(Duration idleTimeout, int maxSessions, int maxDatagramSize, int maxRequests, int maxResponses,
                          UdpAffinity affinity, Optional<QuicLbConfig> quicLb, int receiveBuffer, int maxSessionsPerClient,
                          UdpMode mode, int sessionReceiveBuffer) {

    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(120);
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
    public static final int DEFAULT_MAX_DATAGRAM_SIZE = 9216;
    public static final UdpSettings DEFAULTS =
            new UdpSettings(DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SESSIONS, DEFAULT_MAX_DATAGRAM_SIZE, 0, 0);

    public UdpSettings {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(affinity, "affinity");
        Objects.requireNonNull(quicLb, "quicLb");
        Objects.requireNonNull(mode, "mode");
        if (receiveBuffer < 0 || maxSessionsPerClient < 0 || sessionReceiveBuffer < 0) {
            throw new IllegalArgumentException("receiveBuffer " + receiveBuffer + ", maxSessionsPerClient "
                    + maxSessionsPerClient + ", sessionReceiveBuffer " + sessionReceiveBuffer);
        }
        if ((affinity == UdpAffinity.QUIC) != quicLb.isPresent()) {
            throw new IllegalArgumentException("quic_lb is required with affinity quic and allowed only there");
        }
        if (mode == UdpMode.PER_PACKET && (affinity != UdpAffinity.FIVE_TUPLE || maxRequests > 0)) {
            throw new IllegalArgumentException("per_packet balancing has no affinity and no max_requests");
        }
    }

    /** The kernel's default receive buffer for session sockets. */
    public UdpSettings(Duration idleTimeout, int maxSessions, int maxDatagramSize, int maxRequests, int maxResponses,
                       UdpAffinity affinity, Optional<QuicLbConfig> quicLb, int receiveBuffer, int maxSessionsPerClient,
                       UdpMode mode) {
        this(idleTimeout, maxSessions, maxDatagramSize, maxRequests, maxResponses, affinity, quicLb, receiveBuffer,
                maxSessionsPerClient, mode, 0);
    }

    /** Per flow, with a per-client cap. */
    public UdpSettings(Duration idleTimeout, int maxSessions, int maxDatagramSize, int maxRequests, int maxResponses,
                       UdpAffinity affinity, Optional<QuicLbConfig> quicLb, int receiveBuffer, int maxSessionsPerClient) {
        this(idleTimeout, maxSessions, maxDatagramSize, maxRequests, maxResponses, affinity, quicLb, receiveBuffer,
                maxSessionsPerClient, UdpMode.PER_FLOW);
    }

    /** Whether each datagram picks its own target. */
    public boolean perPacket() {
        return mode == UdpMode.PER_PACKET;
    }

    /** Without a per-client cap. */
    public UdpSettings(Duration idleTimeout, int maxSessions, int maxDatagramSize, int maxRequests, int maxResponses,
                       UdpAffinity affinity, Optional<QuicLbConfig> quicLb, int receiveBuffer) {
        this(idleTimeout, maxSessions, maxDatagramSize, maxRequests, maxResponses, affinity, quicLb, receiveBuffer, 0);
    }

    /** Settings with the default (5-tuple) affinity and the kernel's receive buffer. */
    public UdpSettings(Duration idleTimeout, int maxSessions, int maxDatagramSize, int maxRequests, int maxResponses) {
        this(idleTimeout, maxSessions, maxDatagramSize, maxRequests, maxResponses, UdpAffinity.FIVE_TUPLE, Optional.empty(), 0);
    }

    /** The same settings with another listener receive buffer. */
    public UdpSettings withReceiveBuffer(int bytes) {
        return new UdpSettings(idleTimeout, maxSessions, maxDatagramSize, maxRequests, maxResponses, affinity, quicLb, bytes,
                maxSessionsPerClient, mode, sessionReceiveBuffer);
    }

    /** The same settings with another session socket receive buffer. */
    public UdpSettings withSessionReceiveBuffer(int bytes) {
        return new UdpSettings(idleTimeout, maxSessions, maxDatagramSize, maxRequests, maxResponses, affinity, quicLb,
                receiveBuffer, maxSessionsPerClient, mode, bytes);
    }

    /** Settings with no session-end hints: sessions end by idle timeout only. */
    public UdpSettings(Duration idleTimeout, int maxSessions, int maxDatagramSize) {
        this(idleTimeout, maxSessions, maxDatagramSize, 0, 0);
    }
}
