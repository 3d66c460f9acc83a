package io.wavelb.core.target;

import io.wavelb.config.HexBytes;
import io.wavelb.config.HostPort;
import io.wavelb.core.health.state.HealthStatus;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A resolved backend and its runtime state. Its {@code id} (the configured {@code host:port}) is
 * its stable identity: the Maglev permutations hash it, so the same target has the same slots on
 * every wavelb instance. The same object lives as long as the target is a member of its group, so
 * flows pinned to it keep a valid reference across rebuilds, health changes and reloads.
 *
 * <p>State fields are written by the control plane (health checks, admin calls, reloads) and
 * read by event loops: volatile, never locked on the packet path.
 */
public final class Target {

    /** Where a target came from: the config file, or the admin API's dynamic list. */
    public enum Source { CONFIG, DYNAMIC }

    private final String id;
    private final HostPort address;
    private final InetSocketAddress socketAddress;
    private volatile int weight;
    /** QUIC-LB server ID (and ICE ufrag prefix), or null. */
    private volatile HexBytes serverId;
    private volatile Source source;
    private volatile HealthStatus health = HealthStatus.UNKNOWN;
    private volatile long ejectedUntilNanos;
    private volatile boolean ejected;
    private volatile boolean draining;
    private volatile boolean removing;
    private volatile boolean adminDrained;
    private volatile long drainDeadlineNanos;
    private volatile Instant lastCheckAt;
    private volatile String lastCheckResult;
    /** True while the balancer may give this target new flows (set at each snapshot build). */
    private volatile boolean inRotation;
    private final AtomicInteger udpSessions = new AtomicInteger();
    private final AtomicInteger tcpConnections = new AtomicInteger();
    /** Open TCP connections' closers, so draining and terminate_on_unhealthy can end them. */
    private final Set<Runnable> tcpClosers = ConcurrentHashMap.newKeySet();

    Target(HostPort address, InetSocketAddress socketAddress, int weight, Source source) {
        this.id = address.toString();
        this.address = Objects.requireNonNull(address);
        this.socketAddress = Objects.requireNonNull(socketAddress);
        this.weight = weight;
        this.source = source;
    }

    public String id() {
        return id;
    }

    public HostPort address() {
        return address;
    }

    public InetSocketAddress socketAddress() {
        return socketAddress;
    }

    public int weight() {
        return weight;
    }

    void weight(int weight) {
        this.weight = weight;
    }

    public HexBytes serverId() {
        return serverId;
    }

    void serverId(HexBytes serverId) {
        this.serverId = serverId;
    }

    public Source source() {
        return source;
    }

    void source(Source source) {
        this.source = source;
    }

    /** Active health as the health checker last reported it. */
    public HealthStatus health() {
        return health;
    }

    void health(HealthStatus health) {
        this.health = health;
    }

    /** When the last active health check of this target finished, or null. */
    public Instant lastCheckAt() {
        return lastCheckAt;
    }

    /** {@code success} or the failure reason of the last active check, or null. */
    public String lastCheckResult() {
        return lastCheckResult;
    }

    public void lastCheck(Instant at, String result) {
        this.lastCheckAt = at;
        this.lastCheckResult = result;
    }

    public boolean ejected() {
        return ejected;
    }

    void eject(long untilNanos) {
        this.ejectedUntilNanos = untilNanos;
        this.ejected = true;
    }

    void uneject() {
        this.ejected = false;
    }

    long ejectedUntilNanos() {
        return ejectedUntilNanos;
    }

    public boolean draining() {
        return draining;
    }

    /** Draining because it left the group (config or dynamic list), not only by an admin drain. */
    boolean removing() {
        return removing;
    }

    void drain(long deadlineNanos, boolean removing) {
        if (!draining || deadlineNanos - drainDeadlineNanos < 0) {
            this.drainDeadlineNanos = deadlineNanos;
        }
        this.removing |= removing;
        this.adminDrained |= !removing;
        this.draining = true;
    }

    /** Listed again while draining out of the group: back in service, unless an admin drained it. */
    void cancelRemoval() {
        if (removing) {
            removing = false;
            draining = adminDrained;
        }
    }

    long drainDeadlineNanos() {
        return drainDeadlineNanos;
    }

    /** May receive new flows: healthy (or unchecked), not ejected, not draining — or the group fails open. */
    public boolean inRotation() {
        return inRotation;
    }

    void inRotation(boolean inRotation) {
        this.inRotation = inRotation;
    }

    /** Whether a live flow pinned here should move on its next packet: out of rotation and not draining. */
    public boolean shouldRepick() {
        return !inRotation && !draining;
    }

    /** {@code healthy}, {@code unhealthy}, {@code draining} or {@code unknown}: the state the admin API shows. */
    public String state() {
        if (draining) {
            return "draining";
        }
        if (health == HealthStatus.UNHEALTHY || ejected) {
            return "unhealthy";
        }
        return health == HealthStatus.HEALTHY ? "healthy" : "unknown";
    }

    /** UDP sessions plus TCP connections pinned to this target right now. */
    public int activeFlows() {
        return udpSessions.get() + tcpConnections.get();
    }

    public int udpSessions() {
        return udpSessions.get();
    }

    public int tcpConnections() {
        return tcpConnections.get();
    }

    public void udpSessionOpened() {
        udpSessions.incrementAndGet();
    }

    public void udpSessionClosed() {
        udpSessions.decrementAndGet();
    }

    /**
     * Counts a TCP connection to this target, from the moment it is picked (connecting included, so
     * least connections sees a burst of new connections before they complete) until
     * {@link #tcpConnectionClosed}, and registers how to close it. The target is the one owner of
     * this count: least connections, draining and the admin API all read it here.
     */
    public void tcpConnectionOpened(Runnable closer) {
        // Counted once per closer, as tcpConnectionClosed uncounts once per closer.
        if (tcpClosers.add(closer)) {
            tcpConnections.incrementAndGet();
        }
    }

    /** Ends what {@link #tcpConnectionOpened} counted; a closer not registered (or already removed) changes nothing. */
    public void tcpConnectionClosed(Runnable closer) {
        if (tcpClosers.remove(closer)) {
            tcpConnections.decrementAndGet();
        }
    }

    /** Closes every open TCP connection to this target (each closer runs on its own event loop). */
    void closeTcpConnections() {
        for (Runnable closer : tcpClosers) {
            closer.run();
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
