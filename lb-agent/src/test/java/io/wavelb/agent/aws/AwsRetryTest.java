package io.wavelb.agent.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.reconcile.Backoff;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

class AwsRetryTest {

    private static AwsServiceException answer(int status, String code) {
        return (AwsServiceException) AwsServiceException.builder().statusCode(status)
                .awsErrorDetails(AwsErrorDetails.builder().errorCode(code).build()).build();
    }

    @Test
    void onlyThrottlingAnswersAreThrottles() {
        // Route 53 and Auto Scaling say Throttling, Cloud Map ThrottlingException, EC2 RequestLimitExceeded,
        // S3-style endpoints 503 SlowDown; a bare 429 is throttling whatever its code.
        assertThat(AwsRetry.throttled(answer(400, "Throttling"))).isTrue();
        assertThat(AwsRetry.throttled(answer(400, "ThrottlingException"))).isTrue();
        assertThat(AwsRetry.throttled(answer(503, "RequestLimitExceeded"))).isTrue();
        assertThat(AwsRetry.throttled(answer(503, "SlowDown"))).isTrue();
        assertThat(AwsRetry.throttled(answer(429, "Whatever"))).isTrue();
        assertThat(AwsRetry.throttled(answer(403, "AccessDenied"))).isFalse();
        assertThat(AwsRetry.throttled(answer(400, "InvalidParameterValue"))).isFalse();
        assertThat(AwsRetry.throttled(answer(500, "InternalFailure"))).isFalse();
        assertThat(AwsRetry.throttled(answer(503, "ServiceUnavailable"))).isFalse();
        assertThat(AwsRetry.throttled(SdkClientException.create("connection reset"))).isFalse();
        assertThat(AwsRetry.throttled(new IllegalStateException("no group"))).isFalse();
        assertThat(AwsRetry.throttled(new IOException("IMDS"))).isFalse();
    }

    @Test
    void aRetriedServerErrorIsAnAttemptButNotAThrottle() throws Exception {
        List<Boolean> attempts = new ArrayList<>();
        int[] calls = {0};
        String result = AwsRetry.call(new Backoff(1, 1, new SplittableRandom(1)), 6, () -> {
            calls[0]++;
            if (calls[0] == 1) {
                throw answer(503, "ServiceUnavailable");
            }
            if (calls[0] == 2) {
                throw answer(400, "Throttling");
            }
            return "ok";
        }, attempts::add);
        assertThat(result).isEqualTo("ok");
        assertThat(attempts).as("throttled, per attempt").containsExactly(false, true, false);
    }
}
