package io.wavelb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * TCP connection behaviour of a listener.
 *
 * @param idleTimeout     a connection with no bytes in either direction for this long is closed (NLB: 350 s)
 * @param connectTimeout  how long one connect attempt to a target may take
 * @param connectAttempts how many distinct targets are tried before the client connection is closed
 * @param closeTimeout    once a connection ends, how long each side may take to take the bytes still
 *                        queued for it before its socket is closed anyway
 * @param maxConnectionsPerClient cap on one client's open connections (a client: the listener's
 *                        {@link ClientPrefix}); a connection over it is closed and counted ({@code client_limit}); 0 = none
 */
public record TcpSettings(Duration idleTimeout, Duration connectTimeout, int connectAttempts, Duration closeTimeout,
                          int maxConnectionsPerClient) {

    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(350);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_CONNECT_ATTEMPTS = 3;
    public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);
    public static final TcpSettings DEFAULTS =
            new TcpSettings(DEFAULT_IDLE_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_CONNECT_ATTEMPTS, DEFAULT_CLOSE_TIMEOUT);

    public TcpSettings {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(closeTimeout, "closeTimeout");
        if (maxConnectionsPerClient < 0) {
            throw new IllegalArgumentException("maxConnectionsPerClient " + maxConnectionsPerClient);
        }
    }

    /** Without a per-client cap. */
    public TcpSettings(Duration idleTimeout, Duration connectTimeout, int connectAttempts, Duration closeTimeout) {
        this(idleTimeout, connectTimeout, connectAttempts, closeTimeout, 0);
    }

    /** With the default close timeout. */
    public TcpSettings(Duration idleTimeout, Duration connectTimeout, int connectAttempts) {
        this(idleTimeout, connectTimeout, connectAttempts, DEFAULT_CLOSE_TIMEOUT);
    }
}
