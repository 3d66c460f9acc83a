package io.wavelb.core.health.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.core.health.state.ProbeResult.Kind;
import org.junit.jupiter.api.Test;

class HealthStateMachineTest {

    private static final ProbeResult OK = ProbeResult.SUCCESS;
    private static final ProbeResult BAD = ProbeResult.failure(Kind.TIMEOUT, "");

    @Test
    void startsUnknownAndTheFirstSuccessMakesItHealthyAtOnce() {
        HealthStateMachine m = new HealthStateMachine(3, 3);
        assertThat(m.status()).isEqualTo(HealthStatus.UNKNOWN);
        assertThat(m.onResult(OK)).hasValueSatisfying(t -> {
            assertThat(t.from()).isEqualTo(HealthStatus.UNKNOWN);
            assertThat(t.to()).isEqualTo(HealthStatus.HEALTHY);
        });
        assertThat(m.onResult(OK)).isEmpty();
    }

    @Test
    void aSeededVerdictHoldsUntilItsThresholdIsMet() {
        // A takeover seeds the old process's verdicts: an unhealthy target needs healthy_threshold
        // successes to come back, not the first success an unknown one would need.
        HealthStateMachine unhealthy = new HealthStateMachine(3, 3, HealthStatus.UNHEALTHY);
        assertThat(unhealthy.onResult(OK)).isEmpty();
        assertThat(unhealthy.onResult(OK)).isEmpty();
        assertThat(unhealthy.onResult(OK)).hasValueSatisfying(t -> assertThat(t.to()).isEqualTo(HealthStatus.HEALTHY));
        HealthStateMachine healthy = new HealthStateMachine(3, 2, HealthStatus.HEALTHY);
        assertThat(healthy.onResult(BAD)).isEmpty();
        assertThat(healthy.onResult(BAD)).hasValueSatisfying(t -> assertThat(t.from()).isEqualTo(HealthStatus.HEALTHY));
    }

    @Test
    void aProbeWithoutADescriptorMovesNeitherStreak() {
        ProbeResult noSocket = ProbeResult.failure(ProbeResult.Kind.NO_SOCKET, "Too many open files (EMFILE)");
        HealthStateMachine m = new HealthStateMachine(2, 2, HealthStatus.HEALTHY);
        assertThat(m.onResult(BAD)).isEmpty();
        for (int i = 0; i < 10; i++) {
            assertThat(m.onResult(noSocket)).isEmpty();
        }
        assertThat(m.status()).isEqualTo(HealthStatus.HEALTHY);
        // The failure before the shortage still counts: one more makes two in a row.
        assertThat(m.onResult(BAD)).hasValueSatisfying(t -> assertThat(t.to()).isEqualTo(HealthStatus.UNHEALTHY));
        HealthStateMachine unknown = new HealthStateMachine(1, 1);
        assertThat(unknown.onResult(noSocket)).isEmpty();
        assertThat(unknown.status()).isEqualTo(HealthStatus.UNKNOWN);
    }

    @Test
    void failuresFromUnknownCountTowardUnhealthy() {
        HealthStateMachine m = new HealthStateMachine(3, 2);
        assertThat(m.onResult(BAD)).isEmpty();
        assertThat(m.onResult(BAD)).hasValueSatisfying(t -> assertThat(t.to()).isEqualTo(HealthStatus.UNHEALTHY));
    }

    @Test
    void fallNeedsConsecutiveFailuresAndASuccessResetsTheCount() {
        HealthStateMachine m = new HealthStateMachine(2, 3);
        m.onResult(OK);
        m.onResult(BAD);
        m.onResult(BAD);
        m.onResult(OK);
        m.onResult(BAD);
        assertThat(m.onResult(BAD)).isEmpty();
        assertThat(m.onResult(BAD)).hasValueSatisfying(t -> {
            assertThat(t.from()).isEqualTo(HealthStatus.HEALTHY);
            assertThat(t.to()).isEqualTo(HealthStatus.UNHEALTHY);
            assertThat(t.reason()).contains("3 consecutive failure(s)").contains("timeout");
        });
        assertThat(m.onResult(BAD)).as("already unhealthy: no new transition").isEmpty();
    }

    @Test
    void riseNeedsConsecutiveSuccessesAndAFailureResetsTheCount() {
        HealthStateMachine m = new HealthStateMachine(3, 1);
        m.onResult(BAD);
        assertThat(m.status()).isEqualTo(HealthStatus.UNHEALTHY);
        m.onResult(OK);
        m.onResult(OK);
        m.onResult(BAD);
        m.onResult(OK);
        m.onResult(OK);
        assertThat(m.status()).isEqualTo(HealthStatus.UNHEALTHY);
        assertThat(m.onResult(OK)).hasValueSatisfying(t -> assertThat(t.to()).isEqualTo(HealthStatus.HEALTHY));
    }

    @Test
    void failureTagsAreTheBoundedMetricValues() {
        assertThat(ProbeResult.SUCCESS.tag()).isEqualTo("success");
        assertThat(ProbeResult.failure(Kind.PORT_UNREACHABLE, "x").tag()).isEqualTo("port_unreachable");
        assertThat(ProbeResult.failure(Kind.BAD_RESPONSE, "x").tag()).isEqualTo("bad_response");
    }
}
