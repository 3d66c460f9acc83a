package io.wavelb.core.tcp;

import io.netty.channel.unix.Errors;
import io.wavelb.core.flowlog.EndReason;
import io.wavelb.core.health.state.HealthStatus;
import io.wavelb.core.linux.LocalPorts;
import io.wavelb.core.listener.AcceptFailures;
import io.wavelb.core.stats.ListenerCounter;
import io.wavelb.core.stats.LoopCounters;
import io.wavelb.core.target.Target;
import io.wavelb.core.target.TargetGroup;
import io.wavelb.core.transparent.TransparentSource;
import java.net.InetSocketAddress;

/**
 * The targets one TCP connection tries, in the balancer's order for its flow hash, up to
 * {@code tcp.connect_attempts} distinct ones, and what each attempt's end counts: the part both
 * relays ({@link TcpConnection}, {@link NativeTcpConnection}) share. The target counts the
 * connection from the moment it is picked until {@link #released}; {@code closer} is how the target
 * closes it (draining, terminate_on_unhealthy). On the connection's loop only.
 */
final class TargetAttempts {

    private final TcpListener listener;
    private final TargetGroup group;
    private final LoopCounters counters;
    private final long flowHash;
    private final Runnable closer;
    private final Target[] tried;
    private int attempts;

    TargetAttempts(TcpListener listener, TargetGroup group, LoopCounters counters, long flowHash, Runnable closer) {
        this.listener = listener;
        this.group = group;
        this.counters = counters;
        this.flowHash = flowHash;
        this.closer = closer;
        this.tried = new Target[listener.config().tcp().connectAttempts()];
    }

    /**
     * The next target not yet tried, now counted on it; null, counted and said, when there is none
     * (the group is empty, or every target tried failed).
     */
    Target next() {
        Target next = group.open(flowHash, tried, attempts);
        if (next == null) {
            counters.increment(ListenerCounter.TCP_NO_TARGET);
            listener.warnRateLimited(attempts == 0
                    ? "no target available in group '" + group.name() + "'; closing client connection"
                    : "every target tried failed to connect; closing client connection");
            return null;
        }
        tried[attempts++] = next;
        next.tcpConnectionOpened(closer);
        return next;
    }

    /** Whether another target may be tried after this one failed. */
    boolean more() {
        return attempts < tried.length;
    }

    /**
     * A transparent listener's source towards {@code next}: the client's IP and port (connect falls
     * back to any free port); null, counted, said and {@code next} released, when the client's
     * family is not the target's.
     */
    InetSocketAddress transparentSource(InetSocketAddress client, Target next) {
        InetSocketAddress source = TransparentSource.of(client, next.socketAddress(), client.getPort());
        if (source == null) {
            released(next);
            counters.increment(ListenerCounter.DROPPED_TRANSPARENT_BIND);
            listener.warnRateLimited("transparent: client " + client + " cannot be bound towards target " + next
                    + " of the other address family");
        }
        return source;
    }

    /** A connect to {@code candidate} failed: the target's failure (outlier detection), counted and said. */
    void failed(Target candidate, Object why) {
        released(candidate);
        group.flowFailed(candidate);
        counters.increment(ListenerCounter.TCP_CONNECT_FAILURES);
        listener.warnRateLimited("connect to target ", candidate, " failed: ", why instanceof Throwable t ? t.getMessage() : why);
    }

    /** A connect to {@code candidate} got through: the target's success (outlier detection). */
    void succeeded(Target candidate) {
        group.flowSucceeded(candidate);
    }

    /**
     * This host has no port left towards {@code candidate} (EADDRNOTAVAIL): not the target's
     * failure, and another target's connections are another 4-tuple space. Counted and said.
     */
    void noLocalPort(Target candidate) {
        released(candidate);
        counters.increment(ListenerCounter.DROPPED_NO_LOCAL_PORT);
        listener.warnRateLimited("no free local port for a connection to ", candidate, ": every port of"
                + " net.ipv4.ip_local_port_range holds a connection to it (TIME_WAIT ones included); the range: ",
                LocalPorts.DESCRIBED);
    }

    /**
     * No descriptor for a socket to {@code candidate} (EMFILE, ENFILE): not the target's failure,
     * and every other target would need one too. Counted as {@code socket_error} and said.
     */
    void noDescriptor(Target candidate, Throwable why) {
        released(candidate);
        counters.increment(ListenerCounter.DROPPED_SOCKET_ERROR);
        listener.warnRateLimited("no socket for a connection to ", candidate, ": ",
                AcceptFailures.describe(why) + "; closing the client connection");
    }

    /** The transparent bind towards {@code candidate} failed for a reason of this host (no CAP_NET_RAW, no free port). */
    void transparentBindFailed(Target candidate, InetSocketAddress source, String why) {
        released(candidate);
        counters.increment(ListenerCounter.DROPPED_TRANSPARENT_BIND);
        listener.warnRateLimited("transparent: cannot bind the client's address " + source + " towards " + candidate
                + ": " + why);
    }

    /** The connection no longer counts on {@code target}; a second call changes nothing. */
    void released(Target target) {
        target.tcpConnectionClosed(closer);
    }

    /** Why the target closes its connections: it turned unhealthy (terminate_on_unhealthy), else it was removed or drained. */
    static EndReason closedByTarget(Target target) {
        return target != null && target.health() == HealthStatus.UNHEALTHY && !target.draining()
                ? EndReason.TARGET_UNHEALTHY : EndReason.TARGET_REMOVED;
    }

    /** Why a connect to a target failed, as both relays act on it. */
    enum ConnectFailure {
        /** No descriptor for the socket (EMFILE, ENFILE): this host's shortage; the client is closed. */
        NO_DESCRIPTOR,
        /** A transparent bind found the client's own port bound on this host: try its IP with any port. */
        CLIENT_PORT_IN_USE,
        /** A transparent bind failed otherwise (no CAP_NET_RAW, no free port): this host's; the client is closed. */
        TRANSPARENT_BIND,
        /** No free local port towards the target: this host's, and another target's 4-tuples may be free. */
        NO_LOCAL_PORT,
        /** The target's failure (refused, unreachable, reset): outlier detection, then the next target. */
        TARGET
    }

    /** What {@code cause}, the failure of a connect from {@code source} (null: no transparent bind), was. */
    static ConnectFailure classify(Throwable cause, InetSocketAddress source) {
        if (AcceptFailures.outOfDescriptors(cause)) {
            return ConnectFailure.NO_DESCRIPTOR;
        }
        if (source != null && bindFailed(cause)) {
            return source.getPort() != 0 && addressInUse(cause) ? ConnectFailure.CLIENT_PORT_IN_USE
                    : ConnectFailure.TRANSPARENT_BIND;
        }
        if (source == null && LocalPorts.exhausted(cause)) {
            return ConnectFailure.NO_LOCAL_PORT;
        }
        return ConnectFailure.TARGET;
    }

    /** Whether a connect failed at its bind (Netty's native bind error names the call). */
    private static boolean bindFailed(Throwable cause) {
        return cause instanceof Errors.NativeIoException e && e.getMessage() != null && e.getMessage().startsWith("bind(")
                || cause instanceof java.net.BindException;
    }

    /** Whether a bind failed because another socket of this host holds that address and port (EADDRINUSE). */
    private static boolean addressInUse(Throwable cause) {
        return cause instanceof Errors.NativeIoException e && -e.expectedErr() == EADDRINUSE;
    }

    private static final int EADDRINUSE = 98;

    /** The end reason of an abort counted as {@code reason}. */
    static EndReason abortedAs(ListenerCounter reason) {
        return switch (reason) {
            case TCP_CLOSED_IDLE -> EndReason.IDLE;
            case TCP_CLOSED_OVERLOAD -> EndReason.OVERLOAD;
            case DROPPED_NO_MEMORY -> EndReason.NO_MEMORY;
            default -> throw new IllegalArgumentException(reason + " does not end a TCP connection");
        };
    }
}
