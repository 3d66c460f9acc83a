package io.wavelb.config;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A named set of targets and the algorithm that spreads flows over them. {@code maglevTableSize}
 * is prime and greater than 100 x targets (Maglev, NSDI'16 section 3.4); default 65537.
 *
 * @param healthCheck          the active check; empty means targets are taken as healthy unless
 *                             passive outlier detection ejects them
 * @param outlierDetection     passive checks fed by the data plane
 * @param deregistrationDelay  how long a removed or drained target's open flows may go on (NLB: 300 s)
 * @param terminateOnUnhealthy close open TCP connections to a target when it turns unhealthy
 */
public record TargetGroupConfig(String name, Algorithm algorithm, List<TargetConfig> targets, int maglevTableSize,
                                Optional<HealthCheckConfig> healthCheck, OutlierDetectionConfig outlierDetection,
                                Duration deregistrationDelay, boolean terminateOnUnhealthy) {

    public static final int DEFAULT_MAGLEV_TABLE_SIZE = 65537;
    public static final Duration DEFAULT_DEREGISTRATION_DELAY = Duration.ofSeconds(300);

    public TargetGroupConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(algorithm, "algorithm");
        targets = List.copyOf(targets);
        Objects.requireNonNull(healthCheck, "healthCheck");
        Objects.requireNonNull(outlierDetection, "outlierDetection");
        Objects.requireNonNull(deregistrationDelay, "deregistrationDelay");
    }

    /** A group with no active check, default outlier detection and NLB's deregistration delay. */
    public TargetGroupConfig(String name, Algorithm algorithm, List<TargetConfig> targets, int maglevTableSize) {
        this(name, algorithm, targets, maglevTableSize, Optional.empty(), OutlierDetectionConfig.DEFAULTS,
                DEFAULT_DEREGISTRATION_DELAY, false);
    }

    public TargetGroupConfig withTargets(List<TargetConfig> newTargets) {
        return new TargetGroupConfig(name, algorithm, newTargets, maglevTableSize, healthCheck, outlierDetection,
                deregistrationDelay, terminateOnUnhealthy);
    }
}
