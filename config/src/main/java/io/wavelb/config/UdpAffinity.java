package io.wavelb.config;

/**
 * What keeps a UDP client on one target. {@code FIVE_TUPLE} and {@code SOURCE_IP} hash addresses;
 * {@code QUIC} and {@code STUN} read the datagram so a client that changes address (5G handover,
 * NAT rebinding, a second ICE candidate) still reaches the target that holds its state.
 */
public enum UdpAffinity {
    FIVE_TUPLE, SOURCE_IP, QUIC, STUN;

    /** The spelling used in YAML. */
    public String yamlName() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
