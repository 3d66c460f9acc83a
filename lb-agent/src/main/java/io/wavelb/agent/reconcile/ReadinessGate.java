package io.wavelb.agent.reconcile;

/**
 * Couples the published weight to the balancer's readiness: after {@code failuresToDrop}
 * consecutive failed {@code /readyz} polls the instance is taken out of DNS (weight 0, Cloud Map
 * UNHEALTHY); the first success puts it back. A new gate is not ready: an instance enters DNS
 * at its configured weight only once the balancer has answered {@code /readyz} (a fresh
 * instance would otherwise draw traffic for {@code failuresToDrop} polls plus a TTL before its
 * balancer could take it). Not thread-safe: one poll loop owns it.
 */
public final class ReadinessGate {

    private final int failuresToDrop;
    private int failures;
    private boolean healthy;

    public ReadinessGate(int failuresToDrop) {
        if (failuresToDrop < 1) {
            throw new IllegalArgumentException("failuresToDrop " + failuresToDrop + " (expected >= 1)");
        }
        this.failuresToDrop = failuresToDrop;
    }

    /** Feeds one poll; returns true when the healthy/unhealthy state changed. */
    public boolean onPoll(boolean ready) {
        if (ready) {
            failures = 0;
            if (!healthy) {
                healthy = true;
                return true;
            }
            return false;
        }
        failures++;
        if (healthy && failures >= failuresToDrop) {
            healthy = false;
            return true;
        }
        return false;
    }

    public boolean healthy() {
        return healthy;
    }

    /** The weight to publish: the configured one while healthy, else 0. */
    public int weight(int configured) {
        return healthy ? configured : 0;
    }
}
