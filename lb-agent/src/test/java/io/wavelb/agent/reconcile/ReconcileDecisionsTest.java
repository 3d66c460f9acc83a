package io.wavelb.agent.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReconcileDecisionsTest {

    static final long S = 1_000_000_000L;

    @Test
    void aPeerIsStaleOnlyAfterStaleAfterWithoutALiveRegistration() {
        StalePeers stale = new StalePeers(30 * S);
        assertThat(stale.update(Set.of("a", "b"), Set.of("a"), 0)).isEmpty();
        assertThat(stale.update(Set.of("a", "b"), Set.of("a"), 29 * S)).isEmpty();
        assertThat(stale.update(Set.of("a", "b"), Set.of("a"), 30 * S)).containsExactly("b");
        // b comes back: the clock restarts
        assertThat(stale.update(Set.of("a", "b"), Set.of("a", "b"), 31 * S)).isEmpty();
        assertThat(stale.update(Set.of("a", "b"), Set.of("a"), 40 * S)).isEmpty();
        assertThat(stale.update(Set.of("a", "b"), Set.of("a"), 70 * S)).containsExactly("b");
    }

    @Test
    void aFreshAgentWaitsAWholeStaleAfterBeforeCollecting() {
        StalePeers stale = new StalePeers(30 * S);
        assertThat(stale.update(Set.of("x"), Set.of(), 1000 * S)).as("no history yet").isEmpty();
        assertThat(stale.update(Set.of("x"), Set.of(), 1030 * S)).containsExactly("x");
    }

    @Test
    void aNewGateStaysOutOfDnsWhileTheBalancerWasNeverReady() {
        ReadinessGate gate = new ReadinessGate(3);
        for (int i = 0; i < 5; i++) {
            assertThat(gate.onPoll(false)).isFalse();
            assertThat(gate.healthy()).isFalse();
        }
        assertThat(gate.onPoll(true)).isTrue();
        assertThat(gate.weight(42)).isEqualTo(42);
    }

    @Test
    void readinessGateDropsAfterNFailuresAndRestoresOnTheFirstSuccess() {
        ReadinessGate gate = new ReadinessGate(3);
        assertThat(gate.weight(100)).as("not in DNS before the balancer was ever ready").isZero();
        assertThat(gate.onPoll(true)).isTrue();
        assertThat(gate.weight(100)).isEqualTo(100);
        assertThat(gate.onPoll(false)).isFalse();
        assertThat(gate.onPoll(false)).isFalse();
        assertThat(gate.weight(100)).isEqualTo(100);
        assertThat(gate.onPoll(false)).isTrue();
        assertThat(gate.weight(100)).isZero();
        assertThat(gate.onPoll(false)).isFalse();
        assertThat(gate.onPoll(true)).isTrue();
        assertThat(gate.weight(100)).isEqualTo(100);
        gate.onPoll(false);
        gate.onPoll(true);
        gate.onPoll(false);
        gate.onPoll(false);
        assertThat(gate.healthy()).as("a success resets the count").isTrue();
    }

    @Test
    void backoffIsFullJitterUnderAnExponentialCappedCeiling() {
        Backoff b = new Backoff(100_000_000L, 20 * S, new Random(7));
        assertThat(b.ceilingNanos(0)).isEqualTo(100_000_000L);
        assertThat(b.ceilingNanos(3)).isEqualTo(800_000_000L);
        assertThat(b.ceilingNanos(10)).isEqualTo(20 * S);
        assertThat(b.ceilingNanos(200)).isEqualTo(20 * S);
        long min = Long.MAX_VALUE;
        long max = 0;
        for (int i = 0; i < 10_000; i++) {
            long d = b.delayNanos(3);
            assertThat(d).isBetween(0L, 800_000_000L);
            min = Math.min(min, d);
            max = Math.max(max, d);
        }
        assertThat(min).as("full jitter reaches near zero").isLessThan(10_000_000L);
        assertThat(max).isGreaterThan(790_000_000L);
    }

    @Test
    void tokenBucketSpendsItsBurstThenRefillsAtItsRate() {
        TokenBucket bucket = new TokenBucket(5, 2, 0);
        for (int i = 0; i < 5; i++) {
            assertThat(bucket.tryTake(1, 0)).isTrue();
        }
        assertThat(bucket.tryTake(1, 0)).isFalse();
        assertThat(bucket.nanosUntil(1, 0)).isEqualTo(S / 2);
        assertThat(bucket.tryTake(1, S / 2)).isTrue();
        assertThat(bucket.tryTake(2, S / 2 + S)).isTrue();
        assertThat(bucket.available(100 * S)).isEqualTo(5.0);
    }
}
