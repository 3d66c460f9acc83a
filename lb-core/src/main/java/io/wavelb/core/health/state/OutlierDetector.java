package io.wavelb.core.health.state;

import java.util.Collection;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Passive health (Envoy's outlier detection, simplified): a target whose flows fail
 * {@code consecutiveFailures} times in a row is ejected for {@code ejectionTimeNanos}, unless that
 * would eject more than {@code maxEjectionPercent} of the group. Fed from event loops on connect
 * failures and ICMP unreachable, never per packet: counting is one atomic per event, and only an
 * ejection decision takes the lock. "Consecutive" is real: every success (a TCP connect, a reply on
 * a UDP flow) ends the run, so failures days apart with traffic getting through in between never
 * add up to an ejection. Time is passed in, so the detector is tested without clocks.
 */
public final class OutlierDetector {

    /** The decision of a failure that crossed the threshold. */
    public sealed interface Decision permits Ejected, CapReached {
    }

    public record Ejected(String target, long untilNanos) implements Decision {
    }

    /** The target crossed the threshold but ejecting it would exceed max_ejection_percent. */
    public record CapReached(String target, int ejected, int targets) implements Decision {
    }

    private final int consecutiveFailures;
    private final long ejectionTimeNanos;
    private final int maxEjectionPercent;
    private final Map<String, AtomicInteger> failures = new ConcurrentHashMap<>();
    private final Map<String, Long> ejectedUntil = new ConcurrentHashMap<>();
    private final ReentrantLock decide = new ReentrantLock();
    private volatile Set<String> targets = Set.of();

    public OutlierDetector(int consecutiveFailures, long ejectionTimeNanos, int maxEjectionPercent) {
        this.consecutiveFailures = consecutiveFailures;
        this.ejectionTimeNanos = ejectionTimeNanos;
        this.maxEjectionPercent = maxEjectionPercent;
    }

    public boolean enabled() {
        return consecutiveFailures > 0;
    }

    /** The group's current members (the base of max_ejection_percent); forgets targets that left. */
    public void setTargets(Collection<String> ids) {
        Set<String> now = Set.copyOf(new HashSet<>(ids));
        targets = now;
        failures.keySet().retainAll(now);
        ejectedUntil.keySet().retainAll(now);
    }

    /**
     * A flow to the target got through (a TCP connect, a UDP reply): its failure run ends. The
     * write is skipped when there is no run, so healthy traffic leaves the counter's cache line alone.
     */
    public void onSuccess(String target) {
        AtomicInteger n = failures.get(target);
        if (n != null && n.get() != 0) {
            n.set(0);
        }
    }

    /** Failures in the target's current run (for tests and display). */
    public int failureRun(String target) {
        AtomicInteger n = failures.get(target);
        return n == null ? 0 : n.get();
    }

    public Optional<Decision> onFailure(String target, long nowNanos) {
        if (!enabled()) {
            return Optional.empty();
        }
        int n = failures.computeIfAbsent(target, t -> new AtomicInteger()).incrementAndGet();
        if (n < consecutiveFailures || isEjected(target, nowNanos)) {
            return Optional.empty();
        }
        decide.lock();
        try {
            int ejected = 0;
            for (Map.Entry<String, Long> e : ejectedUntil.entrySet()) {
                if (nowNanos - e.getValue() < 0) {
                    ejected++;
                }
            }
            int size = Math.max(1, targets.size());
            if ((ejected + 1) * 100 > maxEjectionPercent * size) {
                return Optional.of(new CapReached(target, ejected, size));
            }
            long until = nowNanos + ejectionTimeNanos;
            ejectedUntil.put(target, until);
            failures.get(target).set(0);
            return Optional.of(new Ejected(target, until));
        } finally {
            decide.unlock();
        }
    }

    public boolean isEjected(String target, long nowNanos) {
        Long until = ejectedUntil.get(target);
        return until != null && nowNanos - until < 0;
    }
}
