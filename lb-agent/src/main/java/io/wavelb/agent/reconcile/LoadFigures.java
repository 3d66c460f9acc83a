package io.wavelb.agent.reconcile;

import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The balancer's load as {@code GET /v1/load} reports it (contract in lb-core/README.md), and the
 * one figure the weight follows: the utilization of the busiest bounded resource.
 *
 * @param maxDescriptors  -1 when the balancer could not tell (then descriptors do not count)
 * @param eventLoopBusy   the busiest event loop's CPU share, 0..1
 */
public record LoadFigures(List<Listener> listeners, double newFlowsPerSecond, double datagramsPerSecond,
                          double bytesPerSecond, long openDescriptors, long maxDescriptors, double eventLoopBusy) {

    public LoadFigures {
        listeners = List.copyOf(listeners);
    }

    /** One listener: open flows, and its cap (-1: uncapped, TCP). */
    public record Listener(String name, int sessions, int maxSessions) {
        public Listener {
            Objects.requireNonNull(name, "name");
        }
    }

    /** A utilization in 0..1 and the resource that set it, e.g. {@code listener 'media' sessions 90/100}. */
    public record Utilization(double value, String busiest) {
    }

    /**
     * The largest of: each capped listener's sessions / max_sessions, open / max descriptors, and
     * the busiest loop's CPU share. Each is a resource that, at 1.0, turns new flows away (the
     * session cap drops them, descriptor exhaustion fails their sockets, a saturated loop delays
     * every flow on it). The rates have no capacity the balancer knows, so they are reported and
     * published, not weighed.
     */
    public Utilization utilization() {
        double u = Math.max(0, Math.min(1, eventLoopBusy));
        String why = String.format(Locale.ROOT, "event loop busy %.2f", eventLoopBusy);
        for (Listener l : listeners) {
            if (l.maxSessions() > 0) {
                double v = Math.min(1, (double) l.sessions() / l.maxSessions());
                if (v > u) {
                    u = v;
                    why = "listener '" + l.name() + "' sessions " + l.sessions() + "/" + l.maxSessions();
                }
            }
        }
        if (maxDescriptors > 0) {
            double v = Math.min(1, (double) openDescriptors / maxDescriptors);
            if (v > u) {
                u = v;
                why = "file descriptors " + openDescriptors + "/" + maxDescriptors;
            }
        }
        return new Utilization(u, why);
    }
}
