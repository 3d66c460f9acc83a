package io.wavelb.config;

import java.util.List;
import java.util.Objects;

/**
 * A named set of targets and the algorithm that spreads flows over them. {@code maglevTableSize}
 * is prime and greater than 100 x targets (Maglev, NSDI'16 section 3.4); default 65537.
 */
public record TargetGroupConfig(String name, Algorithm algorithm, List<TargetConfig> targets, int maglevTableSize) {

    public static final int DEFAULT_MAGLEV_TABLE_SIZE = 65537;

    public TargetGroupConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(algorithm, "algorithm");
        targets = List.copyOf(targets);
    }
}
