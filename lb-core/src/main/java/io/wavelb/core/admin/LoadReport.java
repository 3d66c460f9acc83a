package io.wavelb.core.admin;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The balancer's load as {@code GET /v1/load} reports it: figures the data plane already keeps,
 * raw, so the sidecar decides what "busy" means (its weight formula lives there). Rates are
 * averaged over {@code windowSeconds}, the time since the previous sample; the JSON contract is in
 * lb-core/README.md ("GET /v1/load").
 *
 * @param listeners       each listener's open flows and, for UDP, its session cap
 * @param newFlowsPerSecond UDP sessions created plus TCP connections accepted, per second
 * @param eventLoopBusy   the busiest event loop's share of the window spent on CPU, 0..1
 * @param windowSeconds   the sample window; 0 for the first sample (rates and busy are then 0)
 */
public record LoadReport(List<ListenerLoad> listeners, double newFlowsPerSecond, double datagramsPerSecond,
                         double bytesPerSecond, long openDescriptors, long maxDescriptors, double eventLoopBusy,
                         int eventLoops, double windowSeconds) {

    public LoadReport {
        listeners = List.copyOf(listeners);
    }

    /**
     * One listener: {@code sessions} open UDP sessions plus TCP connections; {@code maxSessions} its
     * {@code udp.max_sessions}, or -1 where nothing caps the count (TCP only).
     */
    public record ListenerLoad(String name, String protocol, int sessions, int maxSessions) {
        public ListenerLoad {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(protocol, "protocol");
        }
    }

    /** The JSON body, keys in the documented order; absent figures are omitted, never guessed. */
    public Map<String, Object> body() {
        List<Object> ls = new ArrayList<>();
        for (ListenerLoad l : listeners) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", l.name());
            m.put("protocol", l.protocol());
            m.put("sessions", l.sessions());
            if (l.maxSessions() >= 0) {
                m.put("max_sessions", l.maxSessions());
            }
            ls.add(m);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("listeners", ls);
        body.put("new_flows_per_second", round(newFlowsPerSecond));
        body.put("datagrams_per_second", round(datagramsPerSecond));
        body.put("bytes_per_second", round(bytesPerSecond));
        if (maxDescriptors > 0) {
            body.put("open_descriptors", openDescriptors);
            body.put("max_descriptors", maxDescriptors);
        }
        body.put("event_loop_busy", Math.round(eventLoopBusy * 1000) / 1000.0);
        body.put("event_loops", eventLoops);
        body.put("window_seconds", Math.round(windowSeconds * 1000) / 1000.0);
        return body;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
