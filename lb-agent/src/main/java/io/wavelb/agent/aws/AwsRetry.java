package io.wavelb.agent.aws;

import io.wavelb.agent.reconcile.Backoff;
import java.util.concurrent.Callable;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * The agent's one retry layer for AWS calls (the SDK's own retries are off, see {@link AwsClients}):
 * throttling, PriorRequestNotComplete, 5xx and dropped connections are retried after a full-jitter
 * backoff, anything else fails at once.
 */
public final class AwsRetry {

    /** Sees every attempt, e.g. to count calls and throttles. */
    public interface Attempts {
        /** One attempt ended: {@code throttled} when AWS throttled it ({@link #throttled}). */
        void ended(boolean throttled);
    }

    private AwsRetry() {
    }

    /**
     * AWS throttled the call: HTTP 429 or one of the SDK's throttling error codes (Throttling,
     * ThrottlingException, RequestLimitExceeded, SlowDown, ...). Only these count as throttles: a
     * denied, malformed or unanswered call is a failure, and calling it a throttle would point the
     * operator at the request rate instead of at IAM, the network or the service.
     */
    public static boolean throttled(Throwable e) {
        return e instanceof AwsServiceException a && a.isThrottlingException();
    }

    /** An error a retry may cure: throttling, PriorRequestNotComplete, or a server error. */
    public static boolean retryable(AwsServiceException e) {
        String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
        return e.isThrottlingException() || "Throttling".equals(code) || "PriorRequestNotComplete".equals(code)
                || e.statusCode() >= 500;
    }

    /** Calls {@code call} up to {@code maxAttempts} times; the last failure, or one not worth retrying, is thrown. */
    public static <T> T call(Backoff backoff, int maxAttempts, Callable<T> call, Attempts attempts) throws Exception {
        for (int attempt = 0; ; attempt++) {
            try {
                T t = call.call();
                attempts.ended(false);
                return t;
            } catch (AwsServiceException e) {
                boolean retry = retryable(e);
                // A 5xx is retried too, but counted as a throttle it would send the operator to the
                // request rate (WavelbRoute53Throttling) during the service's own outage.
                attempts.ended(throttled(e));
                if (!retry || attempt + 1 >= maxAttempts) {
                    throw e;
                }
            } catch (SdkClientException e) {
                attempts.ended(false);
                if (attempt + 1 >= maxAttempts) {
                    throw e;
                }
            }
            Thread.sleep(backoff.delayNanos(attempt) / 1_000_000);
        }
    }
}
