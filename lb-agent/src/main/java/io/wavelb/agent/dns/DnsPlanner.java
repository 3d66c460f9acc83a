package io.wavelb.agent.dns;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Current record sets plus what this instance wants give the Route 53 changes to make (the
 * external-dns plan shape: Current, Desired → Changes). Pure: the caller reads the records and
 * applies the changes.
 *
 * <p>Rules: a record set is this cluster's only when its owner marker says so; everything else is
 * never changed or deleted, only reported as refused. The marker is written before its A record
 * and deleted after it, so an A record without a marker is never one of ours (a crash between the
 * two leaves an orphan marker, which the next plan completes or deletes). Deletes name the values
 * last read, exactly, as Route 53's DELETE requires.
 */
public final class DnsPlanner {

    /** Weight of owner markers: constant, so a weight change touches only the A record. */
    static final int MARKER_WEIGHT = 0;

    private DnsPlanner() {
    }

    /** What this instance wants published. */
    public record Desired(String instanceId, String ipv4, int weight, long ttlSeconds) {
        public Desired {
            Objects.requireNonNull(instanceId, "instanceId");
            Objects.requireNonNull(ipv4, "ipv4");
        }
    }

    /** One change, in the order it must be applied. */
    public sealed interface Change permits Upsert, Delete {
        RecordSet record();
    }

    public record Upsert(RecordSet record) implements Change {
    }

    /** Deletes exactly these values (as last read). */
    public record Delete(RecordSet record) implements Change {
    }

    /** The changes, and the record sets left alone with the reason (shown by {@code plan} and logged). */
    public record Plan(List<Change> changes, List<String> refused) {
        public Plan {
            changes = List.copyOf(changes);
            refused = List.copyOf(refused);
        }

        public boolean isEmpty() {
            return changes.isEmpty();
        }
    }

    private record Key(String name, RecordSet.Type type, String setIdentifier) {
    }

    /**
     * @param clusterId     this agent's cluster (from the config)
     * @param recordName    the weighted record name every instance of the cluster publishes under
     * @param current       the record sets under {@code recordName} and its marker name, as read
     * @param self          this instance's desired record, or empty when it is leaving (delete it)
     * @param selfId        this instance's id (the SetIdentifier), needed also when leaving
     * @param staleInstances peers whose records are to be collected (no live Cloud Map peer for stale_after)
     */
    public static Plan plan(String clusterId, String recordName, List<RecordSet> current, Optional<Desired> self,
                            String selfId, Set<String> staleInstances) {
        String name = RecordSet.normalize(recordName);
        String markerName = Ownership.markerName(name);
        Map<Key, RecordSet> byKey = new HashMap<>();
        for (RecordSet r : current) {
            byKey.put(new Key(r.name(), r.type(), r.setIdentifier()), r);
        }
        List<Change> markersFirst = new ArrayList<>();
        List<Change> records = new ArrayList<>();
        List<Change> markersLast = new ArrayList<>();
        List<String> refused = new ArrayList<>();

        // This instance.
        RecordSet myA = byKey.get(new Key(name, RecordSet.Type.A, selfId));
        RecordSet myMarker = byKey.get(new Key(markerName, RecordSet.Type.TXT, selfId));
        Optional<Ownership> myOwner = myMarker == null ? Optional.empty() : owner(myMarker);
        boolean markerOurs = myOwner.isPresent() && myOwner.get().clusterId().equals(clusterId);
        if (myMarker != null && !markerOurs) {
            refused.add(name + " " + selfId + ": owned by " + myOwner.map(o -> "cluster '" + o.clusterId() + "'")
                    .orElse("someone else (marker not wavelb's)") + "; not touching it");
        } else if (myMarker == null && myA != null) {
            refused.add(name + " " + selfId + ": an A record exists without an owner marker (not created by wavelb); "
                    + "not touching it");
        } else if (self.isPresent()) {
            Desired d = self.get();
            RecordSet wantMarker = new RecordSet(markerName, RecordSet.Type.TXT, selfId, MARKER_WEIGHT, d.ttlSeconds(),
                    List.of(new Ownership(clusterId, selfId).txtValue()));
            RecordSet wantA = new RecordSet(name, RecordSet.Type.A, selfId, d.weight(), d.ttlSeconds(), List.of(d.ipv4()));
            if (myMarker == null) {
                markersFirst.add(new Upsert(wantMarker));
            }
            if (!wantA.equals(myA)) {
                records.add(new Upsert(wantA));
            }
        } else {
            if (myA != null) {
                records.add(new Delete(myA));
            }
            if (myMarker != null) {
                markersLast.add(new Delete(myMarker));
            }
        }

        // Peers whose records outlived them.
        for (RecordSet r : current) {
            if (!r.name().equals(markerName) || r.type() != RecordSet.Type.TXT || r.setIdentifier().equals(selfId)
                    || !staleInstances.contains(r.setIdentifier())) {
                continue;
            }
            Optional<Ownership> o = owner(r);
            if (o.isEmpty() || !o.get().clusterId().equals(clusterId)) {
                refused.add(name + " " + r.setIdentifier() + ": stale but not this cluster's; not touching it");
                continue;
            }
            RecordSet peerA = byKey.get(new Key(name, RecordSet.Type.A, r.setIdentifier()));
            if (peerA != null) {
                records.add(new Delete(peerA));
            }
            markersLast.add(new Delete(r));
        }
        List<Change> all = new ArrayList<>(markersFirst);
        all.addAll(records);
        all.addAll(markersLast);
        return new Plan(all, refused);
    }

    private static Optional<Ownership> owner(RecordSet marker) {
        for (String v : marker.values()) {
            Optional<Ownership> o = Ownership.parse(v);
            if (o.isPresent()) {
                return o;
            }
        }
        return Optional.empty();
    }

    /**
     * Splits changes into ChangeBatches within Route 53's limits, keeping their order: at most
     * {@code maxRecords} resource records and {@code maxValueChars} characters of values per batch,
     * where an UPSERT counts twice against both (Route 53's rule).
     */
    public static List<List<Change>> batches(List<Change> changes, int maxRecords, int maxValueChars) {
        List<List<Change>> out = new ArrayList<>();
        List<Change> batch = new ArrayList<>();
        int records = 0;
        int chars = 0;
        for (Change c : changes) {
            int factor = switch (c) {
                case Upsert u -> 2;
                case Delete d -> 1;
            };
            int r = c.record().values().size() * factor;
            int ch = c.record().valueChars() * factor;
            if (!batch.isEmpty() && (records + r > maxRecords || chars + ch > maxValueChars)) {
                out.add(batch);
                batch = new ArrayList<>();
                records = 0;
                chars = 0;
            }
            batch.add(c);
            records += r;
            chars += ch;
        }
        if (!batch.isEmpty()) {
            out.add(batch);
        }
        return out;
    }
}
