package io.wavelb.core.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.Transport;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The warm-up drives real traffic through a private balancer on loopback: every path it is there
 * to warm (steady UDP, one-shot UDP sessions, TCP connections) carried some, within its bound, and
 * a zero bound means none at all.
 */
@Timeout(60)
class WarmUpTest {

    private static RuntimeSettings runtime(Duration warmUp) {
        return new RuntimeSettings(2, Transport.AUTO, Duration.ofSeconds(1), 0, RuntimeSettings.DEFAULT_STATE_DIR, warmUp);
    }

    @Test
    void drivesEveryPathThroughAPrivateBalancerWithinItsBound() {
        WarmUp.Done done = WarmUp.run(runtime(Duration.ofSeconds(3)));
        assertThat(done).isNotNull();
        assertThat(done.datagrams()).as("steady UDP datagrams echoed").isPositive();
        assertThat(done.oneShotFlows()).as("one-shot UDP sessions").isPositive();
        assertThat(done.connections()).as("TCP connections").isPositive();
        // The bound is wall time; closing the private balancer comes after it.
        assertThat(done.millis()).isLessThan(Duration.ofSeconds(3).toMillis() + 1000);
    }

    @Test
    void endsOnceEnoughTrafficWasEchoedWellBeforeItsBound() {
        WarmUp.Done done = WarmUp.run(runtime(RuntimeSettings.MAX_WARM_UP), 2_000);
        assertThat(done).isNotNull();
        assertThat(done.end()).isEqualTo(WarmUp.End.ENOUGH);
        assertThat(done.datagrams()).isGreaterThanOrEqualTo(2_000);
        assertThat(done.summary()).endsWith("(enough traffic)");
    }

    @Test
    void aBoundTooShortForEnoughTrafficEndsItWithoutIt() {
        WarmUp.Done done = WarmUp.run(runtime(Duration.ofSeconds(1)), Long.MAX_VALUE);
        assertThat(done).isNotNull();
        // BOUND, or SETTLED when this JVM's JIT has already compiled the paths (other tests ran them).
        assertThat(done.end()).isNotEqualTo(WarmUp.End.ENOUGH);
    }

    @Test
    void zeroMeansNone() {
        assertThat(WarmUp.run(runtime(Duration.ZERO))).isNull();
    }
}
