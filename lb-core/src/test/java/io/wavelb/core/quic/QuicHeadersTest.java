package io.wavelb.core.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.HexBytes;
import io.wavelb.config.QuicLbConfig;
import java.util.Arrays;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class QuicHeadersTest {

    private static final QuicLbConfig CONFIG =
            new QuicLbConfig(1, 2, 6, Optional.of(new HexBytes("8f95f09245765f80256934e50c66207f")));
    private final QuicLbCodec codec = new QuicLbCodec(CONFIG);
    private final byte[] sid = new byte[2];
    private final byte[] cid = codec.encode(new byte[] {0x00, 0x2a}, new byte[] {1, 2, 3, 4, 5, 6});

    private static byte[] longHeader(int first, int version, byte[] dcid, int extra) {
        byte[] p = new byte[6 + dcid.length + 1 + extra];
        p[0] = (byte) first;
        p[1] = (byte) (version >>> 24);
        p[2] = (byte) (version >>> 16);
        p[3] = (byte) (version >>> 8);
        p[4] = (byte) version;
        p[5] = (byte) dcid.length;
        System.arraycopy(dcid, 0, p, 6, dcid.length);
        return p;
    }

    private static byte[] shortHeader(byte[] dcid, int payload) {
        byte[] p = new byte[1 + dcid.length + payload];
        p[0] = 0x40;
        System.arraycopy(dcid, 0, p, 1, dcid.length);
        return p;
    }

    private int classify(byte[] p) {
        return QuicHeaders.classify(p, Math.min(p.length, QuicHeaders.PREFIX), codec, sid);
    }

    @Test
    void aShortHeaderWithOurIdRoutesToItsServer() {
        assertThat(classify(shortHeader(cid, 40))).isEqualTo(QuicHeaders.SERVER_ID);
        assertThat(sid).containsExactly(0x00, 0x2a);
    }

    @Test
    void handshakePacketsRouteByIdAndInitialsAreMarkedClientChosen() {
        assertThat(classify(longHeader(0xe0, 1, cid, 30))).as("v1 Handshake").isEqualTo(QuicHeaders.SERVER_ID);
        assertThat(classify(longHeader(0xc0, 1, cid, 30))).as("v1 Initial").isEqualTo(QuicHeaders.SERVER_ID_CLIENT_CHOSEN);
        assertThat(classify(longHeader(0xd0, 1, cid, 30))).as("v1 0-RTT").isEqualTo(QuicHeaders.SERVER_ID_CLIENT_CHOSEN);
        assertThat(classify(longHeader(0xd0, 0x6b3343cf, cid, 30))).as("v2 Initial").isEqualTo(QuicHeaders.SERVER_ID_CLIENT_CHOSEN);
        assertThat(classify(longHeader(0xf0, 0x6b3343cf, cid, 30))).as("v2 Handshake").isEqualTo(QuicHeaders.SERVER_ID);
    }

    @Test
    void unroutableOtherConfigsVersionNegotiationAndTruncationFallBack() {
        byte[] unroutable = cid.clone();
        unroutable[0] = (byte) (0b111 << 5 | unroutable[0] & 0x1f);
        assertThat(classify(shortHeader(unroutable, 10))).isEqualTo(QuicHeaders.UNROUTABLE);
        byte[] otherConfig = cid.clone();
        otherConfig[0] = (byte) (0b010 << 5 | otherConfig[0] & 0x1f);
        assertThat(classify(shortHeader(otherConfig, 10))).isEqualTo(QuicHeaders.FALLBACK);
        assertThat(classify(longHeader(0x80, 0, cid, 10))).as("version negotiation").isEqualTo(QuicHeaders.FALLBACK);
        assertThat(classify(Arrays.copyOf(shortHeader(cid, 0), cid.length))).as("short header cut in its ID")
                .isEqualTo(QuicHeaders.FALLBACK);
        byte[] lying = longHeader(0xe0, 1, cid, 0);
        lying[5] = 21;
        assertThat(classify(lying)).as("DCID length over 20").isEqualTo(QuicHeaders.FALLBACK);
        assertThat(classify(longHeader(0xe0, 1, Arrays.copyOf(cid, 4), 30))).as("an ID shorter than ours")
                .isEqualTo(QuicHeaders.FALLBACK);
        assertThat(classify(longHeader(0xe0, 1, new byte[0], 30))).as("empty DCID").isEqualTo(QuicHeaders.FALLBACK);
        assertThat(classify(new byte[0])).isEqualTo(QuicHeaders.FALLBACK);
        assertThat(classify(new byte[] {(byte) 0xc0, 0, 0})).isEqualTo(QuicHeaders.FALLBACK);
    }

    @Test
    void coalescedPacketsRouteByTheFirst() {
        byte[] initial = longHeader(0xe0, 1, cid, 0);
        byte[] coalesced = new byte[initial.length + 30];
        System.arraycopy(initial, 0, coalesced, 0, initial.length);
        coalesced[initial.length] = 0x40;
        assertThat(classify(coalesced)).isEqualTo(QuicHeaders.SERVER_ID);
    }

    @Provide
    Arbitrary<byte[]> datagrams() {
        return Arbitraries.oneOf(
                Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(64),
                // mutate a real header: change one byte anywhere, then cut it anywhere
                Arbitraries.integers().between(0, 40).flatMap(cut -> Arbitraries.integers().between(0, 255).map(b -> {
                    byte[] p = longHeader(0xe0, 1, cid, 20);
                    p[cut % p.length] = (byte) b.intValue();
                    return Arrays.copyOf(p, Math.min(p.length, cut));
                })));
    }

    @Property(tries = 3000)
    void anyDatagramIsClassifiedWithoutThrowing(@ForAll("datagrams") byte[] datagram) {
        int result = classify(datagram);
        assertThat(result).isBetween(QuicHeaders.SERVER_ID, QuicHeaders.UNROUTABLE);
    }

    @Property(tries = 500)
    void anyServerIdOfOursIsFoundInAnyShortOrHandshakePacket(@ForAll @Size(2) byte[] serverId,
                                                             @ForAll @Size(6) byte[] nonce,
                                                             @ForAll @IntRange(min = 0, max = 1200) int payload) {
        byte[] id = codec.encode(serverId, nonce);
        assertThat(classify(shortHeader(id, payload))).isEqualTo(QuicHeaders.SERVER_ID);
        assertThat(sid).isEqualTo(serverId);
        assertThat(classify(longHeader(0xe0, 1, id, payload))).isEqualTo(QuicHeaders.SERVER_ID);
        assertThat(sid).isEqualTo(serverId);
    }
}
