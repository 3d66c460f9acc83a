package io.wavelb.agent.aws;

import java.net.URI;
import java.time.Instant;
import java.util.Optional;
import software.amazon.awssdk.services.cloudwatch.CloudWatchClient;
import software.amazon.awssdk.services.cloudwatch.model.Dimension;
import software.amazon.awssdk.services.cloudwatch.model.MetricDatum;
import software.amazon.awssdk.services.cloudwatch.model.StandardUnit;

/**
 * The load figure as a CloudWatch custom metric, for an Auto Scaling target-tracking policy:
 * {@code LoadUtilization} (Percent, the busiest resource of {@code GET /v1/load}) and
 * {@code PublishedWeight}, dimensioned by {@code ClusterId} and {@code Zone} so a policy scales one
 * zone's group on that zone's balancers. One PutMetricData per interval, both data in it.
 */
public final class CloudWatchLoad implements AutoCloseable {

    public static final String UTILIZATION = "LoadUtilization";
    public static final String WEIGHT = "PublishedWeight";

    private final CloudWatchClient client;
    private final String namespace;
    private final Dimension cluster;
    private final Dimension zone;

    public CloudWatchLoad(CloudWatchClient client, String namespace, String clusterId, String zoneName) {
        this.client = client;
        this.namespace = namespace;
        this.cluster = Dimension.builder().name("ClusterId").value(clusterId).build();
        this.zone = Dimension.builder().name("Zone").value(zoneName).build();
    }

    public static CloudWatchClient client(String region, Optional<URI> endpoint) {
        return AwsClients.build(CloudWatchClient.builder(), region, endpoint, false);
    }

    /** One PutMetricData: utilization as a percentage (0..100) and the weight published now. */
    public void publish(double utilization, int weight, Instant at) {
        client.putMetricData(r -> r.namespace(namespace).metricData(
                MetricDatum.builder().metricName(UTILIZATION).dimensions(cluster, zone).timestamp(at)
                        .unit(StandardUnit.PERCENT).value(Math.round(utilization * 1000) / 10.0).build(),
                MetricDatum.builder().metricName(WEIGHT).dimensions(cluster, zone).timestamp(at)
                        .unit(StandardUnit.COUNT).value((double) weight).build()));
    }

    @Override
    public void close() {
        client.close();
    }
}
