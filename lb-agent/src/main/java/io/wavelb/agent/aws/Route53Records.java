package io.wavelb.agent.aws;

import io.wavelb.agent.dns.DnsPlanner;
import io.wavelb.agent.dns.Ownership;
import io.wavelb.agent.dns.RecordSet;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.Change;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.ChangeBatch;
import software.amazon.awssdk.services.route53.model.ChangeStatus;
import software.amazon.awssdk.services.route53.model.ListResourceRecordSetsRequest;
import software.amazon.awssdk.services.route53.model.ListResourceRecordSetsResponse;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.ResourceRecord;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

/**
 * The Route 53 edge: reads the weighted record sets under one name (and its owner-marker name) as
 * {@link RecordSet}s, and applies a {@link DnsPlanner} plan batch by batch, waiting for each
 * change to be INSYNC. SDK model objects stop here; everything past this class is our records.
 */
public final class Route53Records implements AutoCloseable {

    static final int MAX_BATCH_RECORDS = 1000;
    static final int MAX_BATCH_VALUE_CHARS = 32_000;

    private final Route53Client client;
    private final String zoneId;
    private final Budget budget;

    /**
     * Spent once before every Route 53 request this adapter sends (each list page, each change,
     * each GetChange poll), so a client-side budget counts requests the way Route 53 does.
     */
    @FunctionalInterface
    public interface Budget {
        Budget UNLIMITED = () -> { };

        /** Blocks until a request may be sent. */
        void spend();
    }

    public Route53Records(Route53Client client, String zoneId) {
        this(client, zoneId, Budget.UNLIMITED);
    }

    private Route53Records(Route53Client client, String zoneId, Budget budget) {
        this.client = client;
        this.zoneId = stripZonePrefix(zoneId);
        this.budget = budget;
    }

    /** The same zone and client, every request spending from {@code budget} first. */
    public Route53Records withBudget(Budget budget) {
        return new Route53Records(client, zoneId, budget);
    }

    /** The hosted zone id, without the "/hostedzone/" prefix. */
    public String zoneId() {
        return zoneId;
    }

    /** One client for the process: url-connection HTTP, the region, and an endpoint override for tests. */
    public static Route53Client client(String region, Optional<URI> endpoint) {
        return AwsClients.build(Route53Client.builder(), region, endpoint, false);
    }

    /** ListHostedZones answers "/hostedzone/Z..."; passing that back gets URL-encoded and fails. */
    static String stripZonePrefix(String id) {
        return id.startsWith("/hostedzone/") ? id.substring("/hostedzone/".length()) : id;
    }

    /**
     * The weighted A and TXT record sets under {@code recordName} and its marker name.
     *
     * <p>Reads from {@code recordName} on, not the whole zone: Route 53 lists names sorted with their
     * labels reversed ({@code com.example.media}), so the name, its marker (a child name) and any
     * other name whose reversed form starts with the same characters are one contiguous run, and the
     * first record past it ends the read. A shared zone of thousands of records then costs one or
     * two list requests of the Route 53 budget per round instead of one per 300 records.
     */
    public List<RecordSet> read(String recordName) {
        String name = RecordSet.normalize(recordName);
        Set<String> names = Set.of(name, Ownership.markerName(name));
        String run = reversed(name);
        List<RecordSet> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        ListResourceRecordSetsRequest req = ListResourceRecordSetsRequest.builder().hostedZoneId(zoneId)
                .startRecordName(name).build();
        boolean past = false;
        // Bounded paging: some emulators ignore StartRecordIdentifier and would page forever.
        for (int page = 0; page < 1000 && !past; page++) {
            budget.spend();
            ListResourceRecordSetsResponse res = client.listResourceRecordSets(req);
            for (ResourceRecordSet r : res.resourceRecordSets()) {
                String n = RecordSet.normalize(r.name());
                if (!reversed(n).startsWith(run)) {
                    past = true;
                    break;
                }
                if (!names.contains(n) || r.setIdentifier() == null || r.weight() == null
                        || (r.type() != RRType.A && r.type() != RRType.TXT)) {
                    continue;
                }
                String key = n + "|" + r.typeAsString() + "|" + r.setIdentifier();
                if (!seen.add(key)) {
                    continue;
                }
                out.add(new RecordSet(n, r.type() == RRType.A ? RecordSet.Type.A : RecordSet.Type.TXT, r.setIdentifier(),
                        r.weight().intValue(), r.ttl() == null ? 0 : r.ttl(),
                        r.resourceRecords().stream().map(ResourceRecord::value).toList()));
            }
            if (!Boolean.TRUE.equals(res.isTruncated())) {
                break;
            }
            String nextKey = res.nextRecordName() + "|" + res.nextRecordTypeAsString() + "|" + res.nextRecordIdentifier();
            if (!seen.add("next:" + nextKey)) {
                break;
            }
            req = req.toBuilder().startRecordName(res.nextRecordName()).startRecordType(res.nextRecordType())
                    .startRecordIdentifier(res.nextRecordIdentifier()).build();
        }
        return out;
    }

    /** Applies the changes in Route 53-sized batches, in order, each waited on until INSYNC. */
    public void apply(List<DnsPlanner.Change> changes, Duration insyncTimeout) throws InterruptedException {
        for (List<DnsPlanner.Change> batch : DnsPlanner.batches(changes, MAX_BATCH_RECORDS, MAX_BATCH_VALUE_CHARS)) {
            List<Change> sdk = new ArrayList<>();
            for (DnsPlanner.Change c : batch) {
                ChangeAction action = switch (c) {
                    case DnsPlanner.Upsert u -> ChangeAction.UPSERT;
                    case DnsPlanner.Delete d -> ChangeAction.DELETE;
                };
                sdk.add(Change.builder().action(action).resourceRecordSet(toSdk(c.record())).build());
            }
            budget.spend();
            String id = client.changeResourceRecordSets(r -> r.hostedZoneId(zoneId)
                    .changeBatch(ChangeBatch.builder().comment("wavelb-agent").changes(sdk).build())).changeInfo().id();
            waitInsync(id, insyncTimeout);
        }
    }

    /** {@code media.example.com} → {@code com.example.media}: Route 53's listing order. */
    static String reversed(String name) {
        List<String> labels = new ArrayList<>(List.of(name.split("\\.")));
        java.util.Collections.reverse(labels);
        return String.join(".", labels);
    }

    private void waitInsync(String changeId, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String id = changeId.startsWith("/change/") ? changeId.substring("/change/".length()) : changeId;
        while (getChangeStatus(id) != ChangeStatus.INSYNC) {
            if (System.nanoTime() - deadline > 0) {
                throw new IllegalStateException("Route 53 change " + id + " not INSYNC after " + timeout);
            }
            Thread.sleep(1000);
        }
    }

    private ChangeStatus getChangeStatus(String id) {
        budget.spend();
        return client.getChange(r -> r.id(id)).changeInfo().status();
    }

    static ResourceRecordSet toSdk(RecordSet r) {
        return ResourceRecordSet.builder()
                .name(r.name())
                .type(r.type() == RecordSet.Type.A ? RRType.A : RRType.TXT)
                .setIdentifier(r.setIdentifier())
                .weight((long) r.weight())
                .ttl(r.ttlSeconds())
                .resourceRecords(r.values().stream().map(v -> ResourceRecord.builder().value(v).build()).toList())
                .build();
    }

    @Override
    public void close() {
        client.close();
    }
}
