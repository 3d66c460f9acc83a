package io.wavelb.agent.reaper;

import io.wavelb.agent.aws.AwsRetry;
import io.wavelb.agent.aws.CloudMapInstances;
import io.wavelb.agent.aws.Route53Records;
import io.wavelb.agent.dns.DnsPlanner;
import io.wavelb.agent.reconcile.Backoff;
import io.wavelb.json.Json;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * Collects one departed instance: under each record name, its weighted A record and owner marker
 * (SetIdentifier = the instance id) only where the marker names this cluster; then its Cloud Map
 * registration. The same {@link DnsPlanner} rules as the agent's own drain: a record owned by
 * another cluster, or an A record without a wavelb marker, is refused and left; DELETEs name the
 * values just read. Idempotent: a second run finds nothing and changes nothing, and an instance
 * that never registered costs one list per name and one Cloud Map list.
 */
public final class Reaper {

    private static final System.Logger LOG = System.getLogger(Reaper.class.getName());
    private static final int MAX_ATTEMPTS = 5;

    private final String clusterId;
    private final List<String> recordNames;
    private final Route53Records dns;
    private final CloudMapInstances registry;
    private final Backoff backoff = new Backoff(Duration.ofMillis(200).toNanos(), Duration.ofSeconds(5).toNanos(),
            new SplittableRandom());

    public Reaper(String clusterId, List<String> recordNames, Route53Records dns, CloudMapInstances registry) {
        if (recordNames.isEmpty()) {
            throw new IllegalArgumentException("no record name to collect under");
        }
        this.clusterId = clusterId;
        this.recordNames = List.copyOf(recordNames);
        this.dns = dns;
        this.registry = registry;
    }

    /** What one collection did. */
    public record Outcome(String instanceId, int recordsDeleted, List<String> refused, boolean deregistered) {
        public Outcome {
            refused = List.copyOf(refused);
        }

        /** One JSON object, the Lambda function's answer. */
        public String json() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("instance", instanceId);
            m.put("records_deleted", recordsDeleted);
            m.put("deregistered", deregistered);
            m.put("refused", refused);
            return Json.write(m);
        }
    }

    /** Handles one event: collects the instance it names, or does nothing and says why. */
    public Optional<Outcome> handle(ReapEvent event) throws InterruptedException {
        return switch (event) {
            case ReapEvent.Reap r -> {
                LOG.log(System.Logger.Level.INFO, "reaping " + r.instanceId() + " (" + r.why() + ")");
                yield Optional.of(reap(r.instanceId()));
            }
            case ReapEvent.Ignore i -> {
                LOG.log(System.Logger.Level.INFO, "nothing to reap: " + i.why());
                yield Optional.empty();
            }
        };
    }

    public Outcome reap(String instanceId) throws InterruptedException {
        int deleted = 0;
        List<String> refused = new ArrayList<>();
        for (String name : recordNames) {
            DnsPlanner.Plan plan = retry(() -> DnsPlanner.plan(clusterId, name, dns.read(name), Optional.empty(), instanceId,
                    Set.of()));
            refused.addAll(plan.refused());
            if (!plan.isEmpty()) {
                retry(() -> {
                    dns.apply(plan.changes(), Duration.ofMinutes(2));
                    return null;
                });
                deleted += plan.changes().size();
            }
        }
        boolean registered = retry(() -> registry.isRegistered(instanceId));
        if (registered) {
            retry(() -> {
                registry.deregister(instanceId);
                return null;
            });
        }
        Outcome o = new Outcome(instanceId, deleted, refused, registered);
        refused.forEach(r -> LOG.log(System.Logger.Level.WARNING, "left alone: " + r));
        LOG.log(System.Logger.Level.INFO, "reaped " + instanceId + ": " + deleted + " record set(s) deleted"
                + (registered ? ", deregistered from Cloud Map" : ", not registered in Cloud Map"));
        return o;
    }

    /** Throttling, PriorRequestNotComplete, 5xx and dropped connections: retried with full jitter. */
    private <T> T retry(Callable<T> call) throws InterruptedException {
        try {
            return AwsRetry.call(backoff, MAX_ATTEMPTS, call, retryable -> { });
        } catch (InterruptedException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
