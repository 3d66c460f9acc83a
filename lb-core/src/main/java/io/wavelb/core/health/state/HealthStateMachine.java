package io.wavelb.core.health.state;

import java.util.Optional;

/**
 * Rise/fall thresholds for one target (NLB's healthy and unhealthy thresholds, HAProxy's rise and
 * fall). Single-threaded: one probe result at a time, from the checker's event loop.
 *
 * <p>From {@code UNKNOWN} the first success makes the target healthy at once: it was already
 * taking traffic, so waiting for {@code healthyThreshold} would only delay the report. Failures
 * count toward {@code unhealthyThreshold} from {@code UNKNOWN} and {@code HEALTHY} alike; a result
 * of the other kind resets the count.
 */
public final class HealthStateMachine {

    /** A change of status and the result that caused it. */
    public record Transition(HealthStatus from, HealthStatus to, String reason) {
    }

    private final int healthyThreshold;
    private final int unhealthyThreshold;
    private HealthStatus status = HealthStatus.UNKNOWN;
    private int successes;
    private int failures;

    public HealthStateMachine(int healthyThreshold, int unhealthyThreshold) {
        this(healthyThreshold, unhealthyThreshold, HealthStatus.UNKNOWN);
    }

    /**
     * Starting from {@code initial}: the verdict another process reached (a takeover), so a target
     * known healthy needs {@code unhealthyThreshold} failures to fall, not one probe to rise.
     */
    public HealthStateMachine(int healthyThreshold, int unhealthyThreshold, HealthStatus initial) {
        if (healthyThreshold < 1 || unhealthyThreshold < 1) {
            throw new IllegalArgumentException("thresholds must be >= 1");
        }
        this.healthyThreshold = healthyThreshold;
        this.unhealthyThreshold = unhealthyThreshold;
        this.status = initial;
    }

    public HealthStatus status() {
        return status;
    }

    public Optional<Transition> onResult(ProbeResult result) {
        return switch (result) {
            case ProbeResult.Success s -> {
                failures = 0;
                successes++;
                if (status == HealthStatus.UNKNOWN || (status == HealthStatus.UNHEALTHY && successes >= healthyThreshold)) {
                    yield move(HealthStatus.HEALTHY, successes + " consecutive success(es)");
                }
                yield Optional.empty();
            }
            // This host could not make the probe's socket: nothing learnt of the target, neither streak moves.
            case ProbeResult.Failure f when f.kind() == ProbeResult.Kind.NO_SOCKET -> Optional.empty();
            case ProbeResult.Failure f -> {
                successes = 0;
                failures++;
                if (status != HealthStatus.UNHEALTHY && failures >= unhealthyThreshold) {
                    yield move(HealthStatus.UNHEALTHY, failures + " consecutive failure(s), last: " + f.tag()
                            + (f.detail() == null || f.detail().isEmpty() ? "" : " (" + f.detail() + ")"));
                }
                yield Optional.empty();
            }
        };
    }

    private Optional<Transition> move(HealthStatus to, String reason) {
        Transition t = new Transition(status, to, reason);
        status = to;
        return Optional.of(t);
    }
}
