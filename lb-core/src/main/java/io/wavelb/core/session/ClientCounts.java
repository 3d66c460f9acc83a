package io.wavelb.core.session;

import java.util.concurrent.ConcurrentHashMap;

/**
 * How many flows each client holds on one listener side, for its per-client limit. Shared by the
 * listener's event loops (a client's flows land on several: the kernel hashes each 4-tuple), so
 * it is a concurrent map, touched once when a flow opens and once when it ends, never per datagram.
 *
 * <p>Bounded by construction: a client is in the map only while it holds a counted flow, so there
 * are never more entries than open flows (at most {@code udp.max_sessions}, or the open TCP
 * connections). Spoofing a million source addresses makes at most that many entries, each of
 * which is a flow the listener's own cap already admitted; what it cannot do is take more than
 * its limit per prefix.
 */
public final class ClientCounts {

    private final ConcurrentHashMap<ClientKey, Integer> counts = new ConcurrentHashMap<>();

    /** Counts a new flow of {@code client} if it holds fewer than {@code limit}; false (nothing counted) otherwise. */
    public boolean tryOpen(ClientKey client, int limit) {
        boolean[] taken = {false};
        counts.compute(client, (k, n) -> {
            int held = n == null ? 0 : n;
            if (held >= limit) {
                return n;
            }
            taken[0] = true;
            return held + 1;
        });
        return taken[0];
    }

    /** Counts a flow whatever the limit (one handed over by a takeover: it exists already). */
    public void open(ClientKey client) {
        counts.merge(client, 1, Integer::sum);
    }

    /** A counted flow of {@code client} ended. */
    public void closed(ClientKey client) {
        counts.computeIfPresent(client, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Flows {@code client} holds. */
    public int held(ClientKey client) {
        return counts.getOrDefault(client, 0);
    }

    /** Clients holding at least one counted flow: the map's size, its memory bound. */
    public int clients() {
        return counts.size();
    }
}
