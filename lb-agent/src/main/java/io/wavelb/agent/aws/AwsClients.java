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

/**
 * The settings every SDK client of the agent shares, applied once when the client is built.
 *
 * <ul>
 *   <li>The url-connection HTTP client only (no Netty, no Apache client in the process).</li>
 *   <li>With an endpoint override (an emulator, a private endpoint): static dummy credentials, and
 *       host-prefix injection off, or Cloud Map's DiscoverInstances goes to {@code data-<host>}.
 *       Without one: the default credential chain (instance profile on EC2).</li>
 *   <li>The SDK's own retries off: the agent retries with its own full-jitter backoff, behind its
 *       own request budget, and counts every throttle in its metrics; two retry layers would
 *       multiply the calls that Route 53's shared per-account limit sees.</li>
 * </ul>
 */
final class AwsClients {

    private AwsClients() {
    }

    static <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C build(B builder, String region,
                                                                                      Optional<URI> endpoint) {
        builder.httpClient(UrlConnectionHttpClient.create()).region(Region.of(region));
        if (endpoint.isPresent()) {
            builder.endpointOverride(endpoint.get())
                    .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("wavelb", "wavelb")))
                    .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry())
                            .putAdvancedOption(SdkAdvancedClientOption.DISABLE_HOST_PREFIX_INJECTION, true));
        } else {
            builder.credentialsProvider(DefaultCredentialsProvider.builder().build())
                    .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()));
        }
        return builder.build();
    }
}
