package io.wavelb.config;

import java.util.Objects;

/** One backend of a target group. {@code weight} is 1..1000, default 100. */
public record TargetConfig(HostPort address, int weight) {

    public static final int DEFAULT_WEIGHT = 100;
    public static final int MAX_WEIGHT = 1000;

    public TargetConfig {
        Objects.requireNonNull(address, "address");
        if (weight < 1 || weight > MAX_WEIGHT) {
            throw new IllegalArgumentException("weight " + weight + " (expected 1.." + MAX_WEIGHT + ")");
        }
    }

    public static TargetConfig of(HostPort address) {
        return new TargetConfig(address, DEFAULT_WEIGHT);
    }
}
