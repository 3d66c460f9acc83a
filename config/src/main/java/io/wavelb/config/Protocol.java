package io.wavelb.config;

/** Transport of a listener. {@code TCP_UDP} carries both on one port, like NLB's TCP_UDP listener. */
public enum Protocol {
    UDP, TCP, TCP_UDP;

    public boolean carriesUdp() {
        return this != TCP;
    }

    public boolean carriesTcp() {
        return this != UDP;
    }

    /** The spelling used in YAML. */
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
