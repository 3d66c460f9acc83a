package io.wavelb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Passive health: targets whose flows keep failing (TCP connect failures, ICMP unreachable on UDP
 * session sockets) are ejected for a while without waiting for the active check.
 *
 * @param consecutiveFailures failures in a row that eject a target; 0 disables outlier detection
 * @param ejectionTime        how long an ejected target gets no new flows
 * @param maxEjectionPercent  never eject more than this share of a group's targets
 */
public record OutlierDetectionConfig(int consecutiveFailures, Duration ejectionTime, int maxEjectionPercent) {

    public static final OutlierDetectionConfig DEFAULTS = new OutlierDetectionConfig(5, Duration.ofSeconds(30), 50);

    public OutlierDetectionConfig {
        Objects.requireNonNull(ejectionTime, "ejectionTime");
    }

    public boolean enabled() {
        return consecutiveFailures > 0;
    }
}
