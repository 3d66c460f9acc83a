package io.wavelb.agent.discovery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LivePeersTest {

    static DiscoveredInstance peer(String id, long heartbeat) {
        return new DiscoveredInstance(id, Map.of(DiscoveredInstance.HEARTBEAT, Long.toString(heartbeat)));
    }

    @Test
    void aPeerIsAliveWhileItsHeartbeatIsFresh() {
        List<DiscoveredInstance> all = List.of(peer("fresh", 9_000), peer("old", 1_000),
                new DiscoveredInstance("never", Map.of()));
        assertThat(LivePeers.alive(all, 10_000, 3_000)).containsExactly("fresh");
    }

    @Test
    void theNewestOfSeveralRegistrationsOfOneIdCounts() {
        List<DiscoveredInstance> copies = List.of(peer("a", 1_000), peer("a", 9_500), peer("a", 2_000));
        assertThat(LivePeers.alive(copies, 10_000, 3_000)).containsExactly("a");
    }
}
