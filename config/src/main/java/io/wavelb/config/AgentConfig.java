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
                          Drain drain, HostPort metricsListen, Reconcile reconcile) {

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
        Objects.requireNonNull(reconcile, "reconcile");
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

    /**
     * The control loop's limits: readiness coupling, the client-side Route 53 request budget and the
     * retry policy for AWS calls. Defaults stay well inside Route 53's per-account limit (5 requests/s
     * shared by the whole account in the legacy quota; a bucket of 50 refilled at 10/s since 2026).
     */
    public record Reconcile(int unreadyAfter, int route53Rate, int route53Burst, Duration backoffBase,
                            Duration backoffMax, int maxAttempts) {
        public static final int DEFAULT_UNREADY_AFTER = 3;
        public static final int DEFAULT_ROUTE53_RATE = 2;
        public static final int DEFAULT_ROUTE53_BURST = 5;
        public static final Duration DEFAULT_BACKOFF_BASE = Duration.ofMillis(200);
        public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(20);
        public static final int DEFAULT_MAX_ATTEMPTS = 6;
        public static final Reconcile DEFAULTS = new Reconcile(DEFAULT_UNREADY_AFTER, DEFAULT_ROUTE53_RATE,
                DEFAULT_ROUTE53_BURST, DEFAULT_BACKOFF_BASE, DEFAULT_BACKOFF_MAX, DEFAULT_MAX_ATTEMPTS);

        public Reconcile {
            Objects.requireNonNull(backoffBase, "backoffBase");
            Objects.requireNonNull(backoffMax, "backoffMax");
            if (unreadyAfter < 1 || route53Rate < 1 || route53Burst < 1 || maxAttempts < 1
                    || backoffBase.isNegative() || backoffBase.isZero() || backoffMax.compareTo(backoffBase) < 0) {
                throw new IllegalArgumentException("invalid reconcile limits: " + unreadyAfter + ", " + route53Rate + ", "
                        + route53Burst + ", " + backoffBase + ", " + backoffMax + ", " + maxAttempts);
            }
        }
    }
}
