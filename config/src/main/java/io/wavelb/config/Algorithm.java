package io.wavelb.config;

/** How a target group picks a target for a new flow. */
public enum Algorithm {
    /** Maglev on the flow's 5-tuple (protocol, source IP:port, destination IP:port). */
    MAGLEV,
    /** Maglev on the client IP only: every flow of one client goes to one target. */
    SOURCE_IP,
    /** Weighted round robin. */
    ROUND_ROBIN,
    /** Fewest active connections per unit of weight; TCP only. */
    LEAST_CONNECTIONS;

    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
