package io.wavelb.core.quic;

/**
 * How a datagram on an {@code affinity: quic} listener is routed; the bounded {@code route} tag of
 * {@code wavelb_quic_packets_total}.
 */
public enum QuicRoute {
    /** The destination connection ID named a known target's server ID: it goes there, from any address. */
    CID,
    /**
     * No routable ID: a client-chosen ID (Initial, 0-RTT), an ID of another config, a datagram too
     * short or not QUIC. The 5-tuple decides, and the session remembers it for the handshake.
     */
    FALLBACK,
    /** The ID's config-rotation bits are 0b111: the server asked for 4-tuple routing. */
    UNROUTABLE,
    /** A server-chosen ID whose server ID no target has (a stale or forged ID): the 5-tuple decides. */
    UNKNOWN_SERVER_ID;

    public String tagValue() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
