package io.wavelb.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The sidecar's configuration: the {@code agent:} section, in its own file or beside the
 * balancer's. Immutable and validated; defaults filled in.
 */
public record AgentConfig(String clusterId, Balancer balancer, Identity identity, Aws aws, Dns dns, CloudMap cloudMap,
                          Drain drain, HostPort metricsListen) {

    public static final HostPort DEFAULT_METRICS_LISTEN = new HostPort("127.0.0.1", 9902);

    public AgentConfig {
        Objects.requireNonNull(clusterId, "clusterId");
        Objects.requireNonNull(balancer, "balancer");
        Objects.requireNonNull(identity, "identity");
        Objects.requireNonNull(aws, "aws");
        Objects.requireNonNull(dns, "dns");
        Objects.requireNonNull(cloudMap, "cloudMap");
        Objects.requireNonNull(drain, "drain");
        Objects.requireNonNull(metricsListen, "metricsListen");
    }

    /** The balancer the agent feeds, through its admin API. */
    public record Balancer(URI adminUrl, Optional<Path> tokenFile, String targetGroup) {
    }

    /** Static identity; every key absent is learned from IMDSv2 / EC2. {@code publicIp} is the Carrier IP. */
    public record Identity(Optional<String> instanceId, Optional<String> zone, Optional<String> networkBorderGroup,
                           Optional<String> privateIp, Optional<String> publicIp) {
        public static final Identity LEARNED = new Identity(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    /** Region, and endpoint overrides for emulators or private endpoints. */
    public record Aws(String region, Optional<URI> endpoint, Optional<URI> imdsEndpoint) {
    }

    /** The weighted A record: weight 0..255, TTL default 30 s. */
    public record Dns(String hostedZoneId, String recordName, Duration ttl, int weight) {
        public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
        public static final int DEFAULT_WEIGHT = 100;
    }

    public record CloudMap(String namespace, String service, String targetsService, boolean crossZone,
                           Duration pollInterval, Duration heartbeatInterval, Duration staleAfter) {
        public static final Duration DEFAULT_POLL = Duration.ofSeconds(5);
        public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(10);
    }

    /** The TTL-aware drain on SIGTERM: wait {@code dnsWait} after weight 0, then up to {@code timeout} for flows. */
    public record Drain(Duration dnsWait, Duration timeout) {
        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(300);
    }
}
