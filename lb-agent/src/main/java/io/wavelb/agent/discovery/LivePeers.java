package io.wavelb.agent.discovery;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Which wavelb peers are alive: registered, healthy, and heartbeating — their
 * {@code WAVELB_HEARTBEAT} attribute no older than {@code maxAgeMillis}. When one id appears more
 * than once (an emulator that keeps every re-registration), its newest heartbeat counts.
 */
public final class LivePeers {

    private LivePeers() {
    }

    public static Set<String> alive(List<DiscoveredInstance> registered, long nowEpochMillis, long maxAgeMillis) {
        Map<String, Long> newest = new HashMap<>();
        for (DiscoveredInstance i : registered) {
            long beat;
            try {
                beat = Long.parseLong(i.attributes().getOrDefault(DiscoveredInstance.HEARTBEAT, ""));
            } catch (NumberFormatException e) {
                continue;
            }
            newest.merge(i.id(), beat, Math::max);
        }
        return newest.entrySet().stream().filter(e -> nowEpochMillis - e.getValue() <= maxAgeMillis)
                .map(Map.Entry::getKey).collect(Collectors.toUnmodifiableSet());
    }
}
