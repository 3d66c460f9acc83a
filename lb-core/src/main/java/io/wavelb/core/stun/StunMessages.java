package io.wavelb.core.stun;

/**
 * Reads what {@code affinity: stun} routes by: the USERNAME of a STUN Binding Request (RFC 8489),
 * which ICE connectivity checks (RFC 8445, 7.2.2) fill with {@code RFRAG:LFRAG}, the receiving
 * agent's ufrag first. Behind a balancer the receiving agent is the target, so {@code RFRAG} is the
 * same for every candidate pair of one ICE session, whichever client address it comes from.
 *
 * <p>Works on the datagram's first bytes copied into a scratch array; allocates nothing.
 */
public final class StunMessages {

    /** Bytes that routing reads: the header and room for the attributes before a typical USERNAME. */
    public static final int PREFIX = 548;

    /** Not a STUN Binding Request (or a malformed one). */
    public static final long NOT_BINDING_REQUEST = -1;
    /** A Binding Request without USERNAME (a plain STUN client asking for its mapped address). */
    public static final long NO_USERNAME = -2;

    private static final int HEADER = 20;
    private static final int MAGIC_COOKIE = 0x2112A442;
    private static final int BINDING_REQUEST = 0x0001;
    private static final int USERNAME = 0x0006;
    /** RFC 8489: USERNAME is at most 513 bytes. */
    private static final int MAX_USERNAME = 513;

    private StunMessages() {
    }

    /**
     * The receiving ufrag's position, packed as {@code offset << 32 | length}, or
     * {@link #NOT_BINDING_REQUEST} / {@link #NO_USERNAME}. {@code available} is how many bytes of the
     * datagram are in {@code packet}; {@code datagramLength} its real size (the header's length field
     * must match it, which is what tells STUN from other traffic on the port).
     */
    public static long receivingUfrag(byte[] packet, int available, int datagramLength) {
        if (available < HEADER || datagramLength < HEADER) {
            return NOT_BINDING_REQUEST;
        }
        int type = (packet[0] & 0xff) << 8 | packet[1] & 0xff;
        int length = (packet[2] & 0xff) << 8 | packet[3] & 0xff;
        int cookie = (packet[4] & 0xff) << 24 | (packet[5] & 0xff) << 16 | (packet[6] & 0xff) << 8 | packet[7] & 0xff;
        if (type != BINDING_REQUEST || cookie != MAGIC_COOKIE || length % 4 != 0 || HEADER + length != datagramLength) {
            return NOT_BINDING_REQUEST;
        }
        int at = HEADER;
        int end = Math.min(available, datagramLength);
        while (at + 4 <= end) {
            int attribute = (packet[at] & 0xff) << 8 | packet[at + 1] & 0xff;
            int valueLength = (packet[at + 2] & 0xff) << 8 | packet[at + 3] & 0xff;
            int value = at + 4;
            if (value + valueLength > datagramLength) {
                return NOT_BINDING_REQUEST;
            }
            if (attribute == USERNAME) {
                if (valueLength == 0 || valueLength > MAX_USERNAME || value + valueLength > end) {
                    return NO_USERNAME;
                }
                int colon = value;
                while (colon < value + valueLength && packet[colon] != ':') {
                    colon++;
                }
                int ufragLength = colon - value;
                return ufragLength == 0 ? NO_USERNAME : (long) value << 32 | ufragLength;
            }
            at = value + (valueLength + 3 & ~3);
        }
        return NO_USERNAME;
    }
}
