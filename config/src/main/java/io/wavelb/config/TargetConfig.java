package io.wavelb.config;

import java.util.Objects;
import java.util.Optional;

/**
 * One backend of a target group. {@code weight} is 1..1000, default 100. {@code serverId} is the
 * QUIC-LB server ID the target puts in its connection IDs (and the prefix of its ICE ufrags), for
 * listeners with {@code affinity: quic} or {@code stun}.
 */
public record TargetConfig(HostPort address, int weight, Optional<HexBytes> serverId) {

    public static final int DEFAULT_WEIGHT = 100;
    public static final int MAX_WEIGHT = 1000;

    public TargetConfig {
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(serverId, "serverId");
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight " + weight + " (expected 1.." + MAX_WEIGHT + ")");
        }
    }

    public TargetConfig(HostPort address, int weight) {
        this(address, weight, Optional.empty());
    }

    public static TargetConfig of(HostPort address) {
        return new TargetConfig(address, DEFAULT_WEIGHT);
    }
}
