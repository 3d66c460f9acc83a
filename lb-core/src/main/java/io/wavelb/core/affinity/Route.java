package io.wavelb.core.affinity;

/**
 * How {@link ContentRouter#route} decided, one value per route counter the listener keeps
 * ({@code NONE}: the affinity mode reads no content, nothing is counted).
 */
public enum Route {
    /** The mode does not route by content, or a STUN-mode datagram is not a Binding Request. */
    NONE,
    /** A QUIC connection ID named a target's server ID. */
    QUIC_CID,
    /** The QUIC datagram carries nothing routable for this config: the 5-tuple decides. */
    QUIC_FALLBACK,
    /** Config bits {@code 0b111}: the server asked for 5-tuple routing. */
    QUIC_UNROUTABLE,
    /** A server-chosen ID whose server ID no target has. */
    QUIC_UNKNOWN_SERVER_ID,
    /** A STUN ufrag started with a target's server ID (hex). */
    STUN_SERVER_ID,
    /** A STUN ufrag routed by its hash (no target's server ID prefixes it). */
    STUN_UFRAG_HASH,
    /** A STUN Binding Request without USERNAME. */
    STUN_NO_USERNAME
}
