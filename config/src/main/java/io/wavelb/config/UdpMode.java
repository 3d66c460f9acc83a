package io.wavelb.config;

/**
 * How a UDP listener balances: {@code PER_FLOW} pins a client address to one target for the
 * session's life; {@code PER_PACKET} picks a target for every datagram (Envoy's per-packet load
 * balancing), for stateless one-shot protocols where one client address carries many independent
 * requests (a resolver, a syslog or statsd relay).
 */
public enum UdpMode {
    PER_FLOW, PER_PACKET;

    /** The spelling used in YAML. */
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
