package io.wavelb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * UDP session behaviour of a listener.
 *
 * @param idleTimeout     a session with no datagram in either direction for this long is closed (NLB: 120 s)
 * @param maxSessions     cap on concurrent sessions of the listener; a new flow over the cap is counted and dropped
 * @param maxDatagramSize larger datagrams are counted and dropped, never truncated and forwarded
 */
public record UdpSettings(Duration idleTimeout, int maxSessions, int maxDatagramSize) {

    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(120);
    public static final int DEFAULT_MAX_SESSIONS = 100_000;
    public static final int DEFAULT_MAX_DATAGRAM_SIZE = 9216;
    public static final UdpSettings DEFAULTS =
            new UdpSettings(DEFAULT_IDLE_TIMEOUT, DEFAULT_MAX_SESSIONS, DEFAULT_MAX_DATAGRAM_SIZE);

    public UdpSettings {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
    }
}
