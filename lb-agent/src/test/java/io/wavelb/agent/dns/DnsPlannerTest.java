package io.wavelb.agent.dns;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.agent.dns.DnsPlanner.Change;
import io.wavelb.agent.dns.DnsPlanner.Delete;
import io.wavelb.agent.dns.DnsPlanner.Desired;
import io.wavelb.agent.dns.DnsPlanner.Plan;
import io.wavelb.agent.dns.DnsPlanner.Upsert;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DnsPlannerTest {

    static final String NAME = "media.example.com";
    static final String MARKER = "_wavelb-owner.media.example.com";

    static RecordSet a(String id, String ip, int weight) {
        return new RecordSet(NAME + ".", RecordSet.Type.A, id, weight, 30, List.of(ip));
    }

    static RecordSet marker(String cluster, String id) {
        return new RecordSet(MARKER + ".", RecordSet.Type.TXT, id, 0, 30, List.of(new Ownership(cluster, id).txtValue()));
    }

    static Plan plan(List<RecordSet> current, Optional<Desired> self, Set<String> stale) {
        return DnsPlanner.plan("edge", NAME, current, self, "i-self", stale);
    }

    static final Optional<Desired> SELF = Optional.of(new Desired("i-self", "155.146.10.20", 100, 30));

    @Test
    void firstRunWritesTheMarkerBeforeTheRecord() {
        Plan p = plan(List.of(), SELF, Set.of());
        assertThat(p.changes()).containsExactly(
                new Upsert(new RecordSet(MARKER, RecordSet.Type.TXT, "i-self", 0, 30,
                        List.of("\"heritage=wavelb,cluster=edge,instance=i-self\""))),
                new Upsert(a("i-self", "155.146.10.20", 100)));
        assertThat(p.refused()).isEmpty();
    }

    @Test
    void nothingToDoWhenTheRecordIsAsWanted() {
        assertThat(plan(List.of(marker("edge", "i-self"), a("i-self", "155.146.10.20", 100)), SELF, Set.of()).changes()).isEmpty();
    }

    @Test
    void anIpOrWeightChangeUpsertsOnlyTheRecord() {
        Plan p = plan(List.of(marker("edge", "i-self"), a("i-self", "155.146.10.99", 100)), SELF, Set.of());
        assertThat(p.changes()).containsExactly(new Upsert(a("i-self", "155.146.10.20", 100)));
        Plan zero = plan(List.of(marker("edge", "i-self"), a("i-self", "155.146.10.20", 100)),
                Optional.of(new Desired("i-self", "155.146.10.20", 0, 30)), Set.of());
        assertThat(zero.changes()).containsExactly(new Upsert(a("i-self", "155.146.10.20", 0)));
    }

    @Test
    void leavingDeletesTheRecordBeforeTheMarkerWithTheValuesLastRead() {
        RecordSet readA = a("i-self", "155.146.10.20", 0);
        RecordSet readMarker = marker("edge", "i-self");
        Plan p = plan(List.of(readMarker, readA), Optional.empty(), Set.of());
        assertThat(p.changes()).containsExactly(new Delete(readA), new Delete(readMarker));
    }

    @Test
    void neverTouchesARecordOwnedByAnotherClusterOrByNobody() {
        Plan other = plan(List.of(marker("other", "i-self"), a("i-self", "1.2.3.4", 10)), SELF, Set.of());
        assertThat(other.changes()).isEmpty();
        assertThat(other.refused()).singleElement().asString().contains("owned by cluster 'other'");

        Plan manual = plan(List.of(a("i-self", "1.2.3.4", 10)), SELF, Set.of());
        assertThat(manual.changes()).isEmpty();
        assertThat(manual.refused()).singleElement().asString().contains("without an owner marker");

        Plan leaving = plan(List.of(marker("other", "i-self"), a("i-self", "1.2.3.4", 10)), Optional.empty(), Set.of());
        assertThat(leaving.changes()).isEmpty();
    }

    @Test
    void staleOwnedPeersAreCollectedAndOthersClustersPeersAreNot() {
        List<RecordSet> current = List.of(
                marker("edge", "i-self"), a("i-self", "155.146.10.20", 100),
                marker("edge", "i-dead"), a("i-dead", "155.146.10.21", 100),
                marker("other", "i-foreign"), a("i-foreign", "155.146.10.22", 100),
                marker("edge", "i-alive"), a("i-alive", "155.146.10.23", 100));
        Plan p = plan(current, SELF, Set.of("i-dead", "i-foreign"));
        assertThat(p.changes()).containsExactly(new Delete(a("i-dead", "155.146.10.21", 100)), new Delete(marker("edge", "i-dead")));
        assertThat(p.refused()).singleElement().asString().contains("i-foreign");
    }

    @Test
    void anOrphanMarkerOfAStalePeerIsDeletedToo() {
        Plan p = plan(List.of(marker("edge", "i-dead")), SELF, Set.of("i-dead"));
        assertThat(p.changes()).contains(new Delete(marker("edge", "i-dead")));
    }

    @Test
    void batchesKeepOrderAndCountUpsertsTwice() {
        List<Change> changes = new ArrayList<>();
        for (int i = 0; i < 700; i++) {
            changes.add(new Upsert(a("i-" + i, "10.0.0.1", 1)));
        }
        changes.add(new Delete(a("i-x", "10.0.0.2", 1)));
        List<List<Change>> batches = DnsPlanner.batches(changes, 1000, 32000);
        assertThat(batches).hasSize(2);
        assertThat(batches.get(0)).hasSize(500);
        assertThat(batches.get(1)).hasSize(201);
        assertThat(batches.stream().flatMap(List::stream).toList()).isEqualTo(changes);
        // the character limit splits too: "10.0.0.1" is 8 characters, 16 for an upsert, so two fit in 40
        assertThat(DnsPlanner.batches(changes.subList(0, 10), 1000, 40)).hasSize(5).allMatch(b -> b.size() == 2);
    }
}
