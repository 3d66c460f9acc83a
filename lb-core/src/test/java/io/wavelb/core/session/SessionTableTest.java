package io.wavelb.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SessionTableTest {

    private static final class S implements SessionTable.Session {
        final String target;
        long lastSeen;

        S(String target, long lastSeen) {
            this.target = target;
            this.lastSeen = lastSeen;
        }

        @Override
        public Object target() {
            return target;
        }

        @Override
        public long lastSeenNanos() {
            return lastSeen;
        }
    }

    @Test
    void expiresOnlySessionsIdleForTheTimeout() {
        SessionTable<String, S> table = new SessionTable<>();
        S old = new S("t1", 0);
        S fresh = new S("t1", 900);
        table.put("old", old);
        table.put("fresh", fresh);
        List<S> expired = new ArrayList<>();
        assertThat(table.expire(1000, 500, expired::add)).isEqualTo(1);
        assertThat(expired).containsExactly(old);
        assertThat(table.get("old")).isNull();
        assertThat(table.get("fresh")).isSameAs(fresh);
        assertThat(table.sizeOf("t1")).isEqualTo(1);
    }

    @Test
    void evictionTakesTheSessionQuietTheLongestOnlyPastTheFloorAndKeepsTheIndex() {
        SessionTable<String, S> table = new SessionTable<>();
        table.put("a", new S("t1", 100));
        table.put("b", new S("t2", 50));
        table.put("c", new S("t1", 900));
        assertThat(table.evictIdlest(1000, 2000)).as("none quiet for the floor").isNull();
        S evicted = table.evictIdlest(1000, 500);
        assertThat(evicted.lastSeen).isEqualTo(50);
        assertThat(table.get("b")).isNull();
        assertThat(table.sizeOf("t2")).isZero();
        assertThat(table.size()).isEqualTo(2);
    }

    @Test
    void evictionLooksOnlyAtTheLeastRecentlyLookedUpSessions() {
        SessionTable<String, S> table = new SessionTable<>();
        for (int i = 0; i < SessionTable.EVICTION_SCAN + 1; i++) {
            table.put("k" + i, new S("t", 500));
        }
        // Quiet the longest, but looked up last: beyond the bounded scan from the front.
        table.put("quietest", new S("t", 0));
        table.get("quietest");
        assertThat(table.evictIdlest(1000, 100).lastSeen).isEqualTo(500);
        assertThat(table.get("quietest")).isNotNull();
    }

    @Test
    void busySessionsAtTheFrontDoNotHideIdleOnesForGood() {
        SessionTable<String, S> table = new SessionTable<>();
        // Sessions only their targets talk to: last seen recently, never looked up again.
        for (int i = 0; i < SessionTable.EVICTION_SCAN; i++) {
            table.put("busy" + i, new S("t", 990));
        }
        table.put("idle", new S("t", 0));
        assertThat(table.evictIdlest(1000, 100)).as("the first scan sees only busy sessions").isNull();
        S evicted = table.evictIdlest(1000, 100);
        assertThat(evicted).as("the busy front moved back, so the idle session is reached").isNotNull();
        assertThat(evicted.lastSeen).isZero();
        assertThat(table.size()).isEqualTo(SessionTable.EVICTION_SCAN);
    }

    @Test
    void expiredSessionsEndNewestFirst() {
        // Sessions opened in a row hold ascending descriptors; closing the highest first keeps
        // each removal from the event loop's descriptor map O(1).
        SessionTable<String, S> table = new SessionTable<>();
        List<S> opened = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            S s = new S("t", i);
            opened.add(s);
            table.put("k" + i, s);
        }
        List<S> expired = new ArrayList<>();
        table.expire(1000, 100, expired::add);
        assertThat(expired).containsExactlyElementsOf(opened.reversed());
    }

    @Test
    void touchedSessionSurvivesTheSweep() {
        SessionTable<String, S> table = new SessionTable<>();
        S s = new S("t", 0);
        table.put("k", s);
        s.lastSeen = 800;
        assertThat(table.expire(1000, 500, x -> { })).isZero();
        assertThat(table.size()).isEqualTo(1);
    }

    @Test
    void removingATargetPurgesExactlyItsSessions() {
        SessionTable<String, S> table = new SessionTable<>();
        for (int i = 0; i < 10; i++) {
            table.put("k" + i, new S(i % 2 == 0 ? "even" : "odd", 0));
        }
        List<S> removed = new ArrayList<>();
        assertThat(table.removeTarget("even", removed::add)).isEqualTo(5);
        assertThat(removed).allMatch(s -> s.target.equals("even"));
        assertThat(table.size()).isEqualTo(5);
        assertThat(table.sizeOf("even")).isZero();
        assertThat(table.sizeOf("odd")).isEqualTo(5);
        assertThat(table.removeTarget("even", removed::add)).isZero();
    }

    @Test
    void removeKeepsTheTargetIndexConsistent() {
        SessionTable<String, S> table = new SessionTable<>();
        table.put("a", new S("t", 0));
        table.put("b", new S("t", 0));
        assertThat(table.remove("a")).isNotNull();
        assertThat(table.remove("a")).isNull();
        assertThat(table.sizeOf("t")).isEqualTo(1);
        List<S> removed = new ArrayList<>();
        table.removeTarget("t", removed::add);
        assertThat(removed).hasSize(1);
        assertThat(table.size()).isZero();
    }

    @Test
    void duplicateKeyIsRefused() {
        SessionTable<String, S> table = new SessionTable<>();
        table.put("a", new S("t", 0));
        assertThatThrownBy(() -> table.put("a", new S("t", 0))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void budgetCapsAndReleases() {
        SessionBudget budget = new SessionBudget(2);
        assertThat(budget.tryAcquire()).isTrue();
        assertThat(budget.tryAcquire()).isTrue();
        assertThat(budget.tryAcquire()).isFalse();
        budget.release();
        assertThat(budget.tryAcquire()).isTrue();
        assertThat(budget.inUse()).isEqualTo(2);
        budget.release();
        budget.release();
        assertThatThrownBy(budget::release).isInstanceOf(IllegalStateException.class);
        assertThat(budget.inUse()).isZero();
    }
}
