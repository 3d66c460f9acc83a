package io.wavelb.config;

import java.nio.file.Path;

import java.time.Duration;
import java.util.Objects;

/**
 * Process-wide settings.
 *
 * @param eventLoops          event loop threads; 0 means one per available core
 * @param transport           Netty transport
 * @param shutdownGracePeriod on SIGTERM, how long open TCP connections may run on before they are closed
 * @param memoryBudget        bytes of direct (buffer) memory the data plane may hold; 0 derives it
 *                            from the JVM's direct-memory limit
 * @param stateDir            where the control socket for a takeover lives (an absolute path)
 * @param warmUp              {@code wavelb run}: how long at most it runs its own packet paths on loopback
 *                            before it binds (or takes over) the listeners, so they start at full speed; 0: none
 * @param busyPoll            how long an event loop keeps polling (epoll_wait without sleeping) after its last
 *                            I/O before it sleeps: lower latency for CPU; 0: sleeps at once (epoll only)
 */
public record RuntimeSettings(int eventLoops, Transport transport, Duration shutdownGracePeriod, long memoryBudget,
                              Path stateDir, Duration warmUp, Duration busyPoll) {

    public static final Duration DEFAULT_SHUTDOWN_GRACE_PERIOD = Duration.ofSeconds(30);
    /** The smallest budget accepted: below it a few connections' buffers would already exhaust it. */
    public static final long MIN_MEMORY_BUDGET = 8L << 20;
    public static final Path DEFAULT_STATE_DIR = Path.of("/run/wavelb");
    /** The control socket's name in {@link #stateDir}. */
    public static final String CONTROL_SOCKET = "control.sock";
    /** sun_path holds 108 bytes with its terminating NUL: the control socket's whole path must fit. */
    public static final int MAX_SOCKET_PATH_BYTES = 107;
    public static final Duration DEFAULT_WARM_UP = Duration.ofSeconds(5);
    public static final Duration MAX_WARM_UP = Duration.ofSeconds(30);
    /** A loop that polls longer than this after its last I/O would be a loop that never sleeps: say so with 0s instead. */
    public static final Duration MAX_BUSY_POLL = Duration.ofSeconds(1);
    public static final RuntimeSettings DEFAULTS = new RuntimeSettings(0, Transport.AUTO, DEFAULT_SHUTDOWN_GRACE_PERIOD, 0,
            DEFAULT_STATE_DIR);

    public RuntimeSettings {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(shutdownGracePeriod, "shutdownGracePeriod");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(warmUp, "warmUp");
        Objects.requireNonNull(busyPoll, "busyPoll");
        if (busyPoll.isNegative() || busyPoll.compareTo(MAX_BUSY_POLL) > 0) {
            throw new IllegalArgumentException("busyPoll " + busyPoll + " (expected 0s.." + MAX_BUSY_POLL.toSeconds() + "s)");
        }
        if (warmUp.isNegative() || warmUp.compareTo(MAX_WARM_UP) > 0) {
            throw new IllegalArgumentException("warmUp " + warmUp + " (expected 0s.." + MAX_WARM_UP.toSeconds() + "s)");
        }
        if (!stateDir.isAbsolute()) {
            throw new IllegalArgumentException("stateDir " + stateDir + " (expected an absolute path)");
        }
        if (memoryBudget != 0 && memoryBudget < MIN_MEMORY_BUDGET) {
            throw new IllegalArgumentException("memoryBudget " + memoryBudget + " (expected 0 or >= " + MIN_MEMORY_BUDGET + ")");
        }
    }

    /** Without busy polling. */
    public RuntimeSettings(int eventLoops, Transport transport, Duration shutdownGracePeriod, long memoryBudget,
                           Path stateDir, Duration warmUp) {
        this(eventLoops, transport, shutdownGracePeriod, memoryBudget, stateDir, warmUp, Duration.ZERO);
    }

    /** With the default warm-up. */
    public RuntimeSettings(int eventLoops, Transport transport, Duration shutdownGracePeriod, long memoryBudget,
                           Path stateDir) {
        this(eventLoops, transport, shutdownGracePeriod, memoryBudget, stateDir, DEFAULT_WARM_UP);
    }

    /** Without a memory budget (derived from the JVM's limit). */
    public RuntimeSettings(int eventLoops, Transport transport, Duration shutdownGracePeriod) {
        this(eventLoops, transport, shutdownGracePeriod, 0);
    }

    /** With the default state directory. */
    public RuntimeSettings(int eventLoops, Transport transport, Duration shutdownGracePeriod, long memoryBudget) {
        this(eventLoops, transport, shutdownGracePeriod, memoryBudget, DEFAULT_STATE_DIR);
    }

    /** The control socket a running wavelb listens on for a takeover. */
    public Path controlSocket() {
        return stateDir.resolve(CONTROL_SOCKET);
    }
}
