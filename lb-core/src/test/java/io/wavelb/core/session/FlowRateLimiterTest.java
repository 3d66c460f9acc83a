package io.wavelb.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.ClientPrefix;
import io.wavelb.config.NewFlowRate;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** new_flows_per_client's token buckets, on a clock the test moves. */
class FlowRateLimiterTest {

    private static ClientKey key(String a) throws Exception {
        return ClientKey.of(InetAddress.getByName(a), ClientPrefix.DEFAULTS);
    }

    @Test
    void aClientGetsItsBurstThenItsRate() throws Exception {
        FlowRateLimiter limiter = new FlowRateLimiter();
        NewFlowRate rate = new NewFlowRate(10, 5);
        ClientKey a = key("10.0.0.1");
        int allowed = 0;
        for (int i = 0; i < 20; i++) {
            if (limiter.tryAcquire(a, rate, 1000)) {
                allowed++;
            }
        }
        assertThat(allowed).as("the burst, at one instant").isEqualTo(5);
        assertThat(limiter.tryAcquire(a, rate, 1050)).as("half a token after 50 ms at 10/s").isFalse();
        assertThat(limiter.tryAcquire(a, rate, 1100)).as("a token after 100 ms").isTrue();
        assertThat(limiter.tryAcquire(a, rate, 1100)).isFalse();
        int later = 0;
        for (int i = 0; i < 20; i++) {
            if (limiter.tryAcquire(a, rate, 60_000)) {
                later++;
            }
        }
        assertThat(later).as("a quiet client's bucket refills to the burst, no more").isEqualTo(5);
    }

    @Test
    void anotherClientHasItsOwnBucketAndNoLimitMeansNone() throws Exception {
        FlowRateLimiter limiter = new FlowRateLimiter();
        NewFlowRate rate = new NewFlowRate(1, 1);
        assertThat(limiter.tryAcquire(key("10.0.0.1"), rate, 5)).isTrue();
        assertThat(limiter.tryAcquire(key("10.0.0.1"), rate, 5)).isFalse();
        int others = 0;
        for (int i = 2; i < 100; i++) {
            if (limiter.tryAcquire(key("10.0.0." + i), rate, 5)) {
                others++;
            }
        }
        // Buckets are shared only by a hash collision: 98 clients in 65,536 buckets almost never meet.
        assertThat(others).isGreaterThanOrEqualTo(97);
        for (int i = 0; i < 100; i++) {
            assertThat(limiter.tryAcquire(key("10.0.0.1"), NewFlowRate.NONE, 5)).isTrue();
        }
    }
}
