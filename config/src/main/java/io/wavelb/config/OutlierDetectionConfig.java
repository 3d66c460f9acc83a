package io.wavelb.config;

import java.time.Duration;
import java.util.Objects;

/**
 * Passive health: targets whose flows keep failing (TCP connect failures, ICMP unreachable on UDP
 * session sockets, and optionally UDP sessions left unanswered) are ejected for a while without
 * waiting for the active check. A flow that gets through (a TCP connect, a UDP reply) ends the run.
 *
 * @param consecutiveFailures failures in a row that eject a target; 0 disables outlier detection
 * @param ejectionTime        how long an ejected target gets no new flows
 * @param maxEjectionPercent  never eject more than this share of a group's targets
 * @param udpReplyTimeout     a UDP session that sent to the target and heard nothing back for this
 *                            long counts one failure; {@link Duration#ZERO} (the default) turns this
 *                            off, since one-way traffic (syslog, send-only RTP) never gets replies
 */
public record OutlierDetectionConfig(int consecutiveFailures, Duration ejectionTime, int maxEjectionPercent,
                                     Duration udpReplyTimeout) {

    public static final OutlierDetectionConfig DEFAULTS = new OutlierDetectionConfig(5, Duration.ofSeconds(30), 50);

    public OutlierDetectionConfig {
        Objects.requireNonNull(ejectionTime, "ejectionTime");
        Objects.requireNonNull(udpReplyTimeout, "udpReplyTimeout");
        if (udpReplyTimeout.isNegative()) {
            throw new IllegalArgumentException("udpReplyTimeout " + udpReplyTimeout + " (expected 0 or more)");
        }
    }

    /** Without a UDP reply timeout (off). */
    public OutlierDetectionConfig(int consecutiveFailures, Duration ejectionTime, int maxEjectionPercent) {
        this(consecutiveFailures, ejectionTime, maxEjectionPercent, Duration.ZERO);
    }

    public boolean enabled() {
        return consecutiveFailures > 0;
    }

    /** True when unanswered UDP sessions count as failures. */
    public boolean udpReplyTimeoutEnabled() {
        return enabled() && !udpReplyTimeout.isZero();
    }
}
