package io.wavelb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * TCP connection behaviour of a listener.
 *
 * @param idleTimeout     a connection with no bytes in either direction for this long is closed (NLB: 350 s)
 * @param connectTimeout  how long one connect attempt to a target may take
 * @param connectAttempts how many distinct targets are tried before the client connection is closed
 */
public record TcpSettings(Duration idleTimeout, Duration connectTimeout, int connectAttempts) {

    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(350);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_CONNECT_ATTEMPTS = 3;
    public static final TcpSettings DEFAULTS =
            new TcpSettings(DEFAULT_IDLE_TIMEOUT, DEFAULT_CONNECT_TIMEOUT, DEFAULT_CONNECT_ATTEMPTS);

    public TcpSettings {
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
    }
}
