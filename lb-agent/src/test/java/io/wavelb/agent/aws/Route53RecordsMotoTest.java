package io.wavelb.agent.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.dns.DnsPlanner;
import io.wavelb.agent.dns.DnsPlanner.Desired;
import io.wavelb.agent.dns.DnsPlanner.Plan;
import io.wavelb.agent.dns.Ownership;
import io.wavelb.agent.dns.RecordSet;
import io.wavelb.agent.testing.MotoServer;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import software.amazon.awssdk.services.route53.Route53Client;
import software.amazon.awssdk.services.route53.model.ChangeAction;
import software.amazon.awssdk.services.route53.model.RRType;
import software.amazon.awssdk.services.route53.model.ResourceRecord;
import software.amazon.awssdk.services.route53.model.ResourceRecordSet;

/** The planner's changes applied to a real Route 53 emulator (moto), read back, re-planned. */
@Timeout(300)
class Route53RecordsMotoTest {

    static final String NAME = "media.example.com";
    static MotoServer moto;
    static Route53Client client;

    @BeforeAll
    static void start() throws Exception {
        moto = MotoServer.start();
        client = Route53Records.client("us-east-1", Optional.of(moto.endpoint()));
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (moto != null) {
            moto.close();
        }
    }

    private static Route53Records zone() {
        String id = client.createHostedZone(r -> r.name("example.com").callerReference("wavelb-" + System.nanoTime()))
                .hostedZone().id();
        return new Route53Records(client, id);
    }

    private static Plan plan(Route53Records zone, String self, Optional<Desired> desired, Set<String> stale) {
        return DnsPlanner.plan("edge", NAME, zone.read(NAME), desired, self, stale);
    }

    @Test
    void publishesItsRecordWithAMarkerAndThePlanConvergesToNothing() throws Exception {
        Route53Records zone = zone();
        Optional<Desired> me = Optional.of(new Desired("i-self", "155.146.10.20", 100, 30));
        zone.apply(plan(zone, "i-self", me, Set.of()).changes(), Duration.ofSeconds(30));

        List<RecordSet> read = zone.read(NAME);
        assertThat(read).contains(
                new RecordSet(NAME, RecordSet.Type.A, "i-self", 100, 30, List.of("155.146.10.20")),
                new RecordSet(Ownership.markerName(NAME), RecordSet.Type.TXT, "i-self", 0, 30,
                        List.of(new Ownership("edge", "i-self").txtValue())));
        assertThat(plan(zone, "i-self", me, Set.of()).changes()).as("converged").isEmpty();

        Optional<Desired> drained = Optional.of(new Desired("i-self", "155.146.10.20", 0, 30));
        Plan weight = plan(zone, "i-self", drained, Set.of());
        assertThat(weight.changes()).hasSize(1);
        zone.apply(weight.changes(), Duration.ofSeconds(30));
        assertThat(zone.read(NAME)).contains(new RecordSet(NAME, RecordSet.Type.A, "i-self", 0, 30, List.of("155.146.10.20")));

        zone.apply(plan(zone, "i-self", Optional.empty(), Set.of()).changes(), Duration.ofSeconds(30));
        assertThat(zone.read(NAME)).noneMatch(r -> r.setIdentifier().equals("i-self"));
    }

    @Test
    void collectsAStalePeerOfItsClusterAndLeavesAnotherClustersRecordAlone() throws Exception {
        Route53Records zone = zone();
        // a dead peer of our cluster, published the way our agents publish
        zone.apply(plan(zone, "i-dead", Optional.of(new Desired("i-dead", "155.146.10.21", 100, 30)), Set.of()).changes(),
                Duration.ofSeconds(30));
        // another cluster's instance under the same name, written by someone else
        client.changeResourceRecordSets(r -> r.hostedZoneId(zone.zoneId()).changeBatch(b -> b.changes(
                change(Ownership.markerName(NAME), RRType.TXT, "i-foreign", new Ownership("other", "i-foreign").txtValue()),
                change(NAME, RRType.A, "i-foreign", "155.146.10.30"))));
        Plan p = plan(zone, "i-self", Optional.of(new Desired("i-self", "155.146.10.20", 100, 30)), Set.of("i-dead", "i-foreign"));
        assertThat(p.refused()).anyMatch(s -> s.contains("i-foreign"));
        zone.apply(p.changes(), Duration.ofSeconds(30));
        List<RecordSet> after = zone.read(NAME);
        assertThat(after).noneMatch(r -> r.setIdentifier().equals("i-dead"));
        assertThat(after).filteredOn(r -> r.setIdentifier().equals("i-foreign")).hasSize(2);
        assertThat(after).filteredOn(r -> r.setIdentifier().equals("i-self")).hasSize(2);
    }

    @Test
    void readsOnlyTheRunOfItsNameNotTheWholeZone() throws Exception {
        Route53Records zone = zone();
        zone.apply(plan(zone, "i-self", Optional.of(new Desired("i-self", "155.146.10.20", 100, 30)), Set.of()).changes(),
                Duration.ofSeconds(30));
        // Neighbours in Route 53's order (labels reversed): before, inside the run, and 700 after it.
        List<software.amazon.awssdk.services.route53.model.Change> fill = new java.util.ArrayList<>();
        fill.add(plain("a.example.com"));
        fill.add(plain("media-foo.example.com"));
        fill.add(plain("x.media.example.com"));
        for (int i = 0; i < 700; i++) {
            fill.add(plain("z" + i + ".example.com"));
        }
        // An UPSERT counts twice against a batch's 1000 records (moto checks it, as Route 53 does).
        for (int from = 0; from < fill.size(); from += 400) {
            var part = fill.subList(from, Math.min(fill.size(), from + 400));
            client.changeResourceRecordSets(r -> r.hostedZoneId(zone.zoneId()).changeBatch(x -> x.changes(part)));
        }

        java.util.concurrent.atomic.AtomicInteger requests = new java.util.concurrent.atomic.AtomicInteger();
        List<RecordSet> read = zone.withBudget(requests::incrementAndGet).read(NAME);
        assertThat(read).extracting(RecordSet::setIdentifier).containsExactlyInAnyOrder("i-self", "i-self");
        assertThat(requests.get()).as("one list page, not the zone's three").isEqualTo(1);
        assertThat(Route53Records.reversed("_wavelb-owner.media.example.com")).isEqualTo("com.example.media._wavelb-owner");
    }

    private static software.amazon.awssdk.services.route53.model.Change plain(String name) {
        return software.amazon.awssdk.services.route53.model.Change.builder().action(ChangeAction.UPSERT)
                .resourceRecordSet(ResourceRecordSet.builder().name(name).type(RRType.A).ttl(30L)
                        .resourceRecords(ResourceRecord.builder().value("192.0.2.1").build()).build()).build();
    }

    private static software.amazon.awssdk.services.route53.model.Change change(String name, RRType type, String id, String value) {
        return software.amazon.awssdk.services.route53.model.Change.builder().action(ChangeAction.UPSERT)
                .resourceRecordSet(ResourceRecordSet.builder().name(name).type(type).setIdentifier(id).weight(50L).ttl(30L)
                        .resourceRecords(ResourceRecord.builder().value(value).build()).build()).build();
    }
}
