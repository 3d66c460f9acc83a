package io.wavelb.agent.aws;

import java.net.URI;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.SdkAdvancedClientOption;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;

/** How the agent builds every AWS SDK client: the same HTTP client, retries, region and credentials. */
final class AwsClients {

    private AwsClients() {
    }

    /**
     * Configures {@code builder} and builds the client. The SDK's own retries are off: the agent's
     * full-jitter backoff is the one retry layer, so it counts every throttle for the metrics and
     * spreads a fleet's retries (the SDK's would hide both). An endpoint override means an
     * emulator or a private endpoint: static credentials (an emulator wants no real ones) and,
     * where {@code noHostPrefix}, no host-prefix injection (Cloud Map's data calls would otherwise
     * go to "data-" + the emulator's host); without one, the default credentials chain.
     */
    static <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C build(B builder, String region,
            Optional<URI> endpoint, boolean noHostPrefix) {
        builder.httpClient(UrlConnectionHttpClient.create())
                .overrideConfiguration(o -> {
                    o.retryStrategy(AwsRetryStrategy.doNotRetry());
                    if (noHostPrefix && endpoint.isPresent()) {
                        o.putAdvancedOption(SdkAdvancedClientOption.DISABLE_HOST_PREFIX_INJECTION, true);
                    }
                })
                .region(Region.of(region));
        if (endpoint.isPresent()) {
            builder.endpointOverride(endpoint.get())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("wavelb", "wavelb")));
        } else {
            builder.credentialsProvider(DefaultCredentialsProvider.builder().build());
        }
        return builder.build();
    }
}
