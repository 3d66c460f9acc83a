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
                          Drain drain, HostPort metricsListen, Reconcile reconcile, Optional<Lifecycle> lifecycle) {

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
        Objects.requireNonNull(lifecycle, "lifecycle");
    }

    /** Without Auto Scaling lifecycle handling. */
    public AgentConfig(String clusterId, Balancer balancer, Identity identity, Aws aws, Dns dns, CloudMap cloudMap,
                       Drain drain, HostPort metricsListen, Reconcile reconcile) {
        this(clusterId, balancer, identity, aws, dns, cloudMap, drain, metricsListen, reconcile, Optional.empty());
    }

    /** The balancer the agent feeds, through its admin API. */
    public record Balancer(URI adminUrl, Optional<Path> tokenFile, String targetGroup) {
    }

    /**
     * Static identity; every key absent is learned from IMDSv2 / EC2. {@code publicIp} is the Carrier IP.
     * {@code refreshInterval}: how often a learned public address is read again (empty: every
     * {@code cloud_map.poll_interval}), so a re-associated Carrier IP or Elastic IP reaches the record.
     */
    public record Identity(Optional<String> instanceId, Optional<String> zone, Optional<String> networkBorderGroup,
                           Optional<String> privateIp, Optional<String> publicIp, Optional<Duration> refreshInterval) {
        public static final Identity LEARNED = new Identity(Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());

        public Identity(Optional<String> instanceId, Optional<String> zone, Optional<String> networkBorderGroup,
                        Optional<String> privateIp, Optional<String> publicIp) {
            this(instanceId, zone, networkBorderGroup, privateIp, publicIp, Optional.empty());
        }
    }

    /** Region, endpoint overrides for emulators or private endpoints, and the optional CloudWatch load metric. */
    public record Aws(String region, Optional<URI> endpoint, Optional<URI> imdsEndpoint, Optional<CloudWatch> cloudWatch) {
        public Aws(String region, Optional<URI> endpoint, Optional<URI> imdsEndpoint) {
            this(region, endpoint, imdsEndpoint, Optional.empty());
        }
    }

    /**
     * Publishes the load figure as a CloudWatch custom metric ({@code PutMetricData}, dimensions
     * {@code ClusterId} and {@code Zone}) every {@code interval}, for a target-tracking scaling policy.
     */
    public record CloudWatch(String namespace, Duration interval) {
        public static final String DEFAULT_NAMESPACE = "WaveLB";
        public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);
    }

    /**
     * The weighted A record: weight 0..255, TTL default 30 s. With {@code auto} present the weight
     * follows the balancer's load and {@code weight} is its ceiling ({@code auto.maxWeight}).
     */
    public record Dns(String hostedZoneId, String recordName, Duration ttl, int weight, Optional<AutoWeight> auto) {
        public static final Duration DEFAULT_TTL = Duration.ofSeconds(30);
        public static final int DEFAULT_WEIGHT = 100;

        public Dns(String hostedZoneId, String recordName, Duration ttl, int weight) {
            this(hostedZoneId, recordName, ttl, weight, Optional.empty());
        }
    }

    /**
     * {@code dns.weight: auto}: the weight falls from {@code maxWeight} as the busiest resource passes
     * {@code targetUtilization}; a new weight is published only when it moved by {@code minChange}
     * (or reached the floor 1 or the ceiling) and {@code minInterval} has passed since the last change.
     */
    public record AutoWeight(int maxWeight, double targetUtilization, int minChange, Duration minInterval) {
        public static final double DEFAULT_TARGET = 0.7;
        public static final int DEFAULT_MIN_CHANGE = 10;
        public static final Duration DEFAULT_MIN_INTERVAL = Duration.ofSeconds(30);

        public AutoWeight {
            Objects.requireNonNull(minInterval, "minInterval");
            if (maxWeight < 1 || maxWeight > 255 || !(targetUtilization > 0 && targetUtilization < 1) || minChange < 1) {
                throw new IllegalArgumentException("invalid auto weight: " + maxWeight + ", " + targetUtilization + ", " + minChange);
            }
        }
    }

    /**
     * Auto Scaling lifecycle: when IMDS says the group is terminating this instance, drain and then
     * complete {@code hookName} with CONTINUE, sending heartbeats every {@code heartbeatInterval}
     * while the drain lasts. {@code autoScalingGroup} empty: asked of Auto Scaling
     * (DescribeAutoScalingInstances). {@code spotInterruption}: a spot interruption notice drains too.
     */
    public record Lifecycle(String hookName, Optional<String> autoScalingGroup, Duration heartbeatInterval,
                            boolean spotInterruption) {
        public static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(300);

        public Lifecycle {
            Objects.requireNonNull(hookName, "hookName");
            Objects.requireNonNull(autoScalingGroup, "autoScalingGroup");
            Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
        }
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
