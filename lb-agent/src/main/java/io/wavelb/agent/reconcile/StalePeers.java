package io.wavelb.agent.reconcile;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Which peers' DNS records have outlived them: an instance with an owner marker in Route 53 but no
 * live registration in Cloud Map for {@code staleAfter}. Time starts when this agent first notices
 * the record without a live peer — a freshly started agent has no history, so it waits a whole
 * {@code staleAfter} before collecting anything, rather than deleting a peer it has not yet
 * discovered. Not thread-safe: one reconcile loop owns it. Times in nanoseconds, passed in.
 */
public final class StalePeers {

    private final long staleAfterNanos;
    private final Map<String, Long> missingSince = new HashMap<>();

    public StalePeers(long staleAfterNanos) {
        this.staleAfterNanos = staleAfterNanos;
    }

    /**
     * @param withRecords instances that own a record under the name (from their markers)
     * @param live        instances registered and healthy in Cloud Map right now
     * @return the instances whose records are to be collected now
     */
    public Set<String> update(Set<String> withRecords, Set<String> live, long nowNanos) {
        Set<String> stale = new HashSet<>();
        missingSince.keySet().retainAll(withRecords);
        for (String id : withRecords) {
            if (live.contains(id)) {
                missingSince.remove(id);
                continue;
            }
            long since = missingSince.computeIfAbsent(id, k -> nowNanos);
            if (nowNanos - since >= staleAfterNanos) {
                stale.add(id);
            }
        }
        return stale;
    }
}
