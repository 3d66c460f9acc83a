package io.wavelb.core.target;

import io.wavelb.config.HostPort;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A resolved backend. Its {@code id} (the configured {@code host:port}) is its stable identity: the
 * Maglev permutations hash it, so the same target has the same slots on every wavelb instance.
 */
public final class Target {

    private final String id;
    private final HostPort address;
    private final InetSocketAddress socketAddress;
    private final int weight;
    private final AtomicInteger activeFlows = new AtomicInteger();

    Target(HostPort address, InetSocketAddress socketAddress, int weight) {
        this.id = address.toString();
        this.address = Objects.requireNonNull(address);
        this.socketAddress = Objects.requireNonNull(socketAddress);
        this.weight = weight;
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

    /** UDP sessions plus TCP connections pinned to this target right now. */
    public int activeFlows() {
        return activeFlows.get();
    }

    void flowOpened() {
        activeFlows.incrementAndGet();
    }

    void flowClosed() {
        activeFlows.decrementAndGet();
    }

    @Override
    public String toString() {
        return id;
    }
}
