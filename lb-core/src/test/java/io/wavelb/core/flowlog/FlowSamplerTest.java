package io.wavelb.core.flowlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Sampling by a hash of the flow: deterministic per flow, close to the share over many flows. */
class FlowSamplerTest {

    @Test
    void oneLogsEveryFlow() {
        FlowSampler all = new FlowSampler(1);
        for (long k = 0; k < 10_000; k++) {
            assertThat(all.sampled(k)).isTrue();
        }
    }

    @Test
    void aShareLogsAboutThatShareOfConsecutiveKeys() {
        FlowSampler tenth = new FlowSampler(0.1);
        int n = 200_000;
        int logged = 0;
        for (long k = 0; k < n; k++) {
            if (tenth.sampled(k)) {
                logged++;
            }
        }
        // Binomial(200000, 0.1): sd ≈ 134; 1 % is over 14 sd.
        assertThat(logged).isBetween(n / 10 - n / 100, n / 10 + n / 100);
    }

    @Test
    void theDecisionIsTheSameForTheSameFlow() {
        FlowSampler s = new FlowSampler(0.5);
        for (long k = 0; k < 1_000; k++) {
            assertThat(s.sampled(k)).isEqualTo(new FlowSampler(0.5).sampled(k));
        }
    }

    @Test
    void aShareOutOfRangeIsRefused() {
        assertThatThrownBy(() -> new FlowSampler(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FlowSampler(1.01)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new FlowSampler(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
