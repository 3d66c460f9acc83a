package io.wavelb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Process-wide settings.
 *
 * @param eventLoops          event loop threads; 0 means one per available core
 * @param transport           Netty transport
 * @param shutdownGracePeriod on SIGTERM, how long open TCP connections may run on before they are closed
 */
public record RuntimeSettings(int eventLoops, Transport transport, Duration shutdownGracePeriod) {

    public static final Duration DEFAULT_SHUTDOWN_GRACE_PERIOD = Duration.ofSeconds(30);
    public static final RuntimeSettings DEFAULTS = new RuntimeSettings(0, Transport.AUTO, DEFAULT_SHUTDOWN_GRACE_PERIOD);

    public RuntimeSettings {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(shutdownGracePeriod, "shutdownGracePeriod");
    }
}
