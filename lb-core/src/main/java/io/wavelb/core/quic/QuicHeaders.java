package io.wavelb.core.quic;

/**
 * Finds the destination connection ID of a QUIC datagram and reads a server ID from it, following
 * the forwarding rules of draft-ietf-quic-load-balancers-21 (section 3): long headers carry the ID's
 * length; short headers do not, so the configured length is assumed; config-rotation bits 0b111 are
 * unroutable; IDs of another config, and anything unparseable, fall back to the 5-tuple. Only the
 * first packet of a coalesced datagram is read: QUIC requires every packet in one datagram to carry
 * the same destination ID (RFC 9000, 12.2).
 *
 * <p>Works on the first bytes of the datagram copied into a scratch array, so the data plane hands it
 * no buffer type and nothing is allocated per datagram.
 */
public final class QuicHeaders {

    /** Bytes of a datagram that routing can need: first octet, version, length and a 20-byte ID. */
    public static final int PREFIX = 1 + 4 + 1 + 20;

    /** Returned by {@link #classify}: route by the server ID now in the caller's array. */
    public static final int SERVER_ID = 0;
    /** A server ID was read from an ID the client may have chosen itself (Initial, 0-RTT). */
    public static final int SERVER_ID_CLIENT_CHOSEN = 1;
    public static final int FALLBACK = 2;
    public static final int UNROUTABLE = 3;

    private static final int VERSION_1 = 0x00000001;
    private static final int VERSION_2 = 0x6b3343cf;
    private static final int MAX_CID = 20;

    private QuicHeaders() {
    }

    /**
     * Classifies a datagram whose first {@code length} bytes (at most {@link #PREFIX} needed) are in
     * {@code packet}; on {@link #SERVER_ID} or {@link #SERVER_ID_CLIENT_CHOSEN} the server ID is in
     * {@code serverId[0..codec.serverIdLength())}.
     */
    public static int classify(byte[] packet, int length, QuicLbCodec codec, byte[] serverId) {
        if (length < 1) {
            return FALLBACK;
        }
        int first = packet[0] & 0xff;
        int cidOffset;
        int cidLength;
        boolean clientChosen;
        if ((first & 0x80) != 0) {
            if (length < 6) {
                return FALLBACK;
            }
            int version = (packet[1] & 0xff) << 24 | (packet[2] & 0xff) << 16 | (packet[3] & 0xff) << 8 | packet[4] & 0xff;
            if (version == 0) {
                // Version Negotiation comes from servers; a client never sends one to route.
                return FALLBACK;
            }
            cidLength = packet[5] & 0xff;
            cidOffset = 6;
            if (cidLength > MAX_CID || cidOffset + cidLength > length) {
                return FALLBACK;
            }
            clientChosen = mayBeClientChosen(version, (first >>> 4) & 0x3);
        } else {
            cidOffset = 1;
            cidLength = codec.connectionIdLength();
            if (cidOffset + cidLength > length) {
                return FALLBACK;
            }
            clientChosen = false;
        }
        if (cidLength == 0) {
            return FALLBACK;
        }
        int configRotation = (packet[cidOffset] & 0xff) >>> 5;
        if (configRotation == 0b111) {
            return UNROUTABLE;
        }
        if (configRotation != codec.configId() || cidLength < codec.connectionIdLength()) {
            return FALLBACK;
        }
        codec.decodeServerId(packet, cidOffset, serverId);
        return clientChosen ? SERVER_ID_CLIENT_CHOSEN : SERVER_ID;
    }

    /**
     * Initial and 0-RTT packets carry the ID the client picked until the server gives it one (after
     * a Retry the Initial carries the server's). Types are numbered differently in QUIC v2; for a
     * version we do not know, any long header may be the client's first.
     */
    private static boolean mayBeClientChosen(int version, int type) {
        return switch (version) {
            case VERSION_1 -> type == 0 || type == 1;
            case VERSION_2 -> type == 1 || type == 2;
            default -> true;
        };
    }
}
