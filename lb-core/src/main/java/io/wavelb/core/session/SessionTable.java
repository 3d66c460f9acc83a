package io.wavelb.core.session;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Flow-key to session map of one event loop, with an index per target and idle expiry.
 *
 * <p>Not thread-safe by design: each UDP event loop owns one table, and the kernel's SO_REUSEPORT
 * hash keeps each client 4-tuple on one loop, so no lookup ever needs a lock (Envoy's UDP proxy
 * model). Expiry compares each session's last-seen time during a periodic sweep rather than
 * arming a timer per session: a sweep over 100k sessions costs far less than 100k timer updates
 * per second under load.
 *
 * <p>The map is kept in access order (a lookup moves the session to the back), so the sessions at
 * the front are the ones whose clients have been quiet the longest: {@link #evictIdlest} finds a
 * session to make room for a new client by looking at a few of them, not the whole table.
 *
 * @param <K> the flow key (the client address for UDP)
 * @param <S> the session
 */
public final class SessionTable<K, S extends SessionTable.Session> {

    /** What the table needs to know of a session. */
    public interface Session {
        /** The target the session is pinned to; used for the per-target index. */
        Object target();

        /** Last time traffic passed in either direction, in {@link System#nanoTime()} units. */
        long lastSeenNanos();
    }

    /** How many sessions from the front {@link #evictIdlest} looks at: a bound on its cost per call. */
    public static final int EVICTION_SCAN = 16;

    private final Map<K, S> byKey = new LinkedHashMap<>(16, 0.75f, true);
    private final Map<Object, Set<K>> byTarget = new HashMap<>();
    /** Reused by {@link #evictIdlest}: the scanned keys not quiet enough, moved back after the scan. */
    private final Object[] busy = new Object[EVICTION_SCAN];

    /** The session for a key, or null. Allocation-free. */
    public S get(K key) {
        return byKey.get(key);
    }

    /** Adds a session; the key must be new. */
    public void put(K key, S session) {
        S previous = byKey.putIfAbsent(key, session);
        if (previous != null) {
            throw new IllegalStateException("a session for " + key + " exists already");
        }
        byTarget.computeIfAbsent(session.target(), t -> new LinkedHashSet<>()).add(key);
    }

    /** Removes and returns the session for a key, or null. */
    public S remove(K key) {
        S session = byKey.remove(key);
        if (session != null) {
            unindex(key, session.target());
        }
        return session;
    }

    /**
     * Removes every session idle for at least {@code idleNanos} at {@code nowNanos}, handing each to
     * {@code onExpired} after it is out of the table.
     *
     * @return how many sessions expired
     */
    public int expire(long nowNanos, long idleNanos, Consumer<? super S> onExpired) {
        List<Map.Entry<K, S>> expired = null;
        for (Iterator<Map.Entry<K, S>> it = byKey.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<K, S> e = it.next();
            if (nowNanos - e.getValue().lastSeenNanos() >= idleNanos) {
                if (expired == null) {
                    expired = new ArrayList<>();
                }
                expired.add(Map.entry(e.getKey(), e.getValue()));
                it.remove();
            }
        }
        if (expired == null) {
            return 0;
        }
        // Newest first: sessions opened in a row hold ascending descriptor numbers, and the
        // event loop's descriptor map (open addressing, keyed by the number itself) pays for
        // each removal with a walk to the end of the run of numbers above it. Ending the run
        // from its top makes each removal O(1) instead of a sweep of n sessions costing O(n^2).
        for (int i = expired.size() - 1; i >= 0; i--) {
            Map.Entry<K, S> e = expired.get(i);
            unindex(e.getKey(), e.getValue().target());
            onExpired.accept(e.getValue());
        }
        return expired.size();
    }

    /**
     * Removes the session quiet the longest among the {@link #EVICTION_SCAN} whose clients were
     * seen least recently, if it has been quiet for at least {@code minIdleNanos}: room for a new
     * client when the session cap is reached. Those of the scanned sessions that are not quiet
     * enough go to the back: a session only its target still talks to (replies update its
     * last-seen time, not the order) would otherwise sit at the front for good, and a front of
     * {@link #EVICTION_SCAN} such sessions would hide every idle one behind it.
     *
     * @return the removed session, or null when none of the scanned ones has been quiet long enough
     */
    @SuppressWarnings("unchecked")
    public S evictIdlest(long nowNanos, long minIdleNanos) {
        K victim = null;
        long longest = -1;
        int looked = 0;
        int busyCount = 0;
        for (Map.Entry<K, S> e : byKey.entrySet()) {
            long idle = nowNanos - e.getValue().lastSeenNanos();
            if (idle >= minIdleNanos) {
                if (idle > longest) {
                    victim = e.getKey();
                    longest = idle;
                }
            } else {
                busy[busyCount++] = e.getKey();
            }
            if (++looked == EVICTION_SCAN) {
                break;
            }
        }
        for (int i = 0; i < busyCount; i++) {
            byKey.get((K) busy[i]); // a lookup in an access-ordered map moves the entry to the back
            busy[i] = null;
        }
        return victim == null ? null : remove(victim);
    }

    /**
     * Removes every session pinned to {@code target}, handing each to {@code onRemoved}: what a
     * target leaving the group does to its flows.
     */
    public int removeTarget(Object target, Consumer<? super S> onRemoved) {
        Set<K> keys = byTarget.remove(target);
        if (keys == null) {
            return 0;
        }
        for (K key : keys) {
            S session = byKey.remove(key);
            if (session != null) {
                onRemoved.accept(session);
            }
        }
        return keys.size();
    }

    /** Removes every session, handing each to {@code onRemoved}. */
    public void clear(Consumer<? super S> onRemoved) {
        List<S> all = new ArrayList<>(byKey.values());
        byKey.clear();
        byTarget.clear();
        // Newest first, for the reason given in expire.
        for (int i = all.size() - 1; i >= 0; i--) {
            onRemoved.accept(all.get(i));
        }
    }

    /** Hands every session to {@code action}, in the table's order; the table must not change meanwhile. */
    public void forEach(Consumer<? super S> action) {
        byKey.values().forEach(action);
    }

    public int size() {
        return byKey.size();
    }

    /** Sessions currently pinned to {@code target}. */
    public int sizeOf(Object target) {
        Set<K> keys = byTarget.get(target);
        return keys == null ? 0 : keys.size();
    }

    private void unindex(K key, Object target) {
        Set<K> keys = byTarget.get(target);
        if (keys != null) {
            keys.remove(key);
            if (keys.isEmpty()) {
                byTarget.remove(target);
            }
        }
    }
}
