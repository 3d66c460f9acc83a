package io.wavelb.core.affinity;

import io.wavelb.config.QuicLbConfig;
import io.wavelb.config.UdpAffinity;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.balance.FlowHash;
import io.wavelb.core.quic.QuicHeaders;
import io.wavelb.core.quic.QuicLbCodec;
import io.wavelb.core.stun.StunMessages;
import java.util.Objects;

/**
 * The content half of {@code udp.affinity}: from a datagram's first bytes, the target its QUIC
 * destination connection ID (draft-ietf-quic-load-balancers-21, section 3) or its STUN receiving
 * ufrag (RFC 8445, 7.2.2) names, or none, in which case the flow key decides (the 5-tuple, or the
 * source address with {@code source_ip}).
 *
 * <p>One router per event loop: it holds a scratch array and a QUIC-LB codec, neither
 * thread-safe, and allocates nothing per datagram. A reload that changes the listener's UDP
 * settings builds a new router. Typical use on the packet path:
 * <pre>{@code
 * if (router.readsContent()) {
 *     int n = router.prefixLength(size);
 *     copy the datagram's first n bytes into router.scratch();
 *     Route how = router.route(size, targets);   // count it
 *     T target = router.target();                // null: the flow key decides
 * }
 * }</pre>
 *
 * @param <T> the target type (the data plane's {@code Target}; tests use their own)
 */
public final class ContentRouter<T> {

    /** Where the router looks targets up: the listener's target group. */
    public interface Targets<T> {

        /** The target whose server ID is {@code serverId[0..length)}, or null. */
        T byServerId(byte[] serverId, int length);

        /** The target whose server ID, in lowercase hex, starts {@code text[offset..offset+length)}, or null. */
        T byUfragPrefix(byte[] text, int offset, int length);

        /** The target the balancer gives {@code hash}, without opening a flow on it; null when none is in rotation. */
        T byHash(long hash);
    }

    private final UdpAffinity affinity;
    private final QuicLbCodec quicCodec;
    private final byte[] serverId;
    private final byte[] scratch;
    private T target;

    private ContentRouter(UdpAffinity affinity, QuicLbConfig quicLb) {
        this.affinity = affinity;
        this.quicCodec = quicLb == null ? null : new QuicLbCodec(quicLb);
        this.serverId = quicLb == null ? null : new byte[quicLb.serverIdLength()];
        this.scratch = new byte[switch (affinity) {
            case QUIC -> QuicHeaders.PREFIX;
            case STUN -> StunMessages.PREFIX;
            case FIVE_TUPLE, SOURCE_IP -> 0;
        }];
    }

    /** A router for a listener's UDP settings (its affinity and, for {@code quic}, its {@code quic_lb}). */
    public static <T> ContentRouter<T> of(UdpSettings udp) {
        Objects.requireNonNull(udp, "udp");
        return new ContentRouter<>(udp.affinity(),
                udp.affinity() == UdpAffinity.QUIC ? udp.quicLb().orElseThrow() : null);
    }

    /** Whether {@link #route} has anything to read: {@code quic} and {@code stun} affinity. */
    public boolean readsContent() {
        return scratch.length > 0;
    }

    /** How many of a {@code size}-byte datagram's first bytes to copy into {@link #scratch()}. */
    public int prefixLength(int size) {
        return Math.min(size, scratch.length);
    }

    /** Where the caller copies the datagram's first {@link #prefixLength} bytes before {@link #route}. */
    public byte[] scratch() {
        return scratch;
    }

    /**
     * Decides for a datagram of {@code size} bytes whose first {@link #prefixLength}{@code (size)}
     * bytes are in {@link #scratch()}: the target is then {@link #target()} (null: the flow key decides).
     */
    public Route route(int size, Targets<T> targets) {
        target = null;
        return switch (affinity) {
            case QUIC -> routeQuic(size, targets);
            case STUN -> routeStun(size, targets);
            case FIVE_TUPLE, SOURCE_IP -> Route.NONE;
        };
    }

    /** The target the last {@link #route} named, or null. */
    public T target() {
        return target;
    }

    private Route routeQuic(int size, Targets<T> targets) {
        int kind = QuicHeaders.classify(scratch, prefixLength(size), quicCodec, serverId);
        return switch (kind) {
            case QuicHeaders.SERVER_ID, QuicHeaders.SERVER_ID_CLIENT_CHOSEN -> {
                target = targets.byServerId(serverId, serverId.length);
                if (target != null) {
                    yield Route.QUIC_CID;
                }
                // An Initial's ID is the client's random pick: not knowing it is normal, not stale.
                yield kind == QuicHeaders.SERVER_ID ? Route.QUIC_UNKNOWN_SERVER_ID : Route.QUIC_FALLBACK;
            }
            case QuicHeaders.UNROUTABLE -> Route.QUIC_UNROUTABLE;
            default -> Route.QUIC_FALLBACK;
        };
    }

    /**
     * The target whose server ID (hex) starts the receiving ufrag, else the one Maglev gives the
     * ufrag's hash, so every candidate pair of one ICE session lands on one target.
     */
    private Route routeStun(int size, Targets<T> targets) {
        long ufrag = StunMessages.receivingUfrag(scratch, prefixLength(size), size);
        if (ufrag == StunMessages.NOT_BINDING_REQUEST) {
            return Route.NONE;
        }
        if (ufrag == StunMessages.NO_USERNAME) {
            return Route.STUN_NO_USERNAME;
        }
        int offset = (int) (ufrag >>> 32);
        int length = (int) ufrag;
        target = targets.byUfragPrefix(scratch, offset, length);
        if (target != null) {
            return Route.STUN_SERVER_ID;
        }
        target = targets.byHash(FlowHash.ofBytes(scratch, offset, length));
        return target != null ? Route.STUN_UFRAG_HASH : Route.NONE;
    }
}
