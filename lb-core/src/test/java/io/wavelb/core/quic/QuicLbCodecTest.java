package io.wavelb.core.quic;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.HexBytes;
import io.wavelb.config.QuicLbConfig;
import java.util.HexFormat;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The test vectors of draft-ietf-quic-load-balancers-21, Appendix B, and round trips for every shape. */
class QuicLbCodecTest {

    private static final String KEY = "8f95f09245765f80256934e50c66207f";
    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "config {0}, sid {1}, nonce {2}")
    @CsvSource({
            // B.1, plaintext
            "0, c4605e, 4504cc4f, '', 07c4605e4504cc4f",
            // B.2: four passes with an odd length and a short server ID (three passes to decode)
            "0, ed793a, ee080dbf, " + KEY + ", 0720b1d07b359d3c",
            // four passes, odd length, server ID longer than the nonce (all four passes to decode)
            "1, ed793a51d49b8f5fab65, ee080dbf48, " + KEY + ", 2fcc381bc74cb4fbad2823a3d1f8fed2",
            // single pass: server ID + nonce = 16
            "2, ed793a51d49b8f5f, ee080dbf48c0d1e5, " + KEY + ", 504dd2d05a7b0de9b2b9907afb5ecf8cc3",
            // four passes, even length (the draft lists cr_bits 3 here, but its ID's first octet says 0)
            "0, ed793a51d49b8f5fab, ee080dbf48c0d1e55d, " + KEY + ", 125779c9cc86beb3a3a4a3ca96fce4bfe0cdbc",
    })
    void draftVectorsEncodeAndDecode(int configId, String sid, String nonce, String key, String cid) {
        byte[] serverId = HEX.parseHex(sid);
        QuicLbCodec codec = new QuicLbCodec(new QuicLbConfig(configId, serverId.length, nonce.length() / 2,
                key.isEmpty() ? Optional.empty() : Optional.of(new HexBytes(key))));

        assertThat(HEX.formatHex(codec.encode(serverId, HEX.parseHex(nonce)))).isEqualTo(cid);
        byte[] decoded = new byte[serverId.length];
        codec.decodeServerId(HEX.parseHex(cid), 0, decoded);
        assertThat(HEX.formatHex(decoded)).isEqualTo(sid);
    }

    record Shape(int serverIdLength, int nonceLength, boolean keyed, byte[] key, byte[] serverId, byte[] nonce) {
    }

    @Provide
    Arbitrary<Shape> shapes() {
        Arbitrary<int[]> lengths = Arbitraries.integers().between(1, 15).flatMap(sid ->
                Arbitraries.integers().between(4, Math.min(18, 19 - sid)).map(nonce -> new int[] {sid, nonce}));
        return Combinators.combine(lengths, Arbitraries.of(true, false), Arbitraries.bytes().array(byte[].class).ofSize(16),
                        Arbitraries.bytes().array(byte[].class).ofSize(19), Arbitraries.bytes().array(byte[].class).ofSize(18))
                .as((l, keyed, key, sid, nonce) -> new Shape(l[0], l[1], keyed, key,
                        java.util.Arrays.copyOf(sid, l[0]), java.util.Arrays.copyOf(nonce, l[1])));
    }

    @Property(tries = 500)
    void everyServerIdIsReadBackFromItsId(@ForAll("shapes") Shape s) {
        QuicLbCodec codec = new QuicLbCodec(new QuicLbConfig(3, s.serverIdLength(), s.nonceLength(),
                s.keyed() ? Optional.of(HexBytes.of(s.key())) : Optional.empty()));
        byte[] cid = codec.encode(s.serverId(), s.nonce());
        assertThat(cid).hasSize(1 + s.serverIdLength() + s.nonceLength());
        assertThat((cid[0] & 0xff) >>> 5).isEqualTo(3);
        assertThat(cid[0] & 0x1f).isEqualTo(cid.length - 1);
        byte[] out = new byte[s.serverIdLength()];
        codec.decodeServerId(cid, 0, out);
        assertThat(out).isEqualTo(s.serverId());
        if (s.keyed()) {
            // Encrypted IDs do not show the server ID: the same server with two nonces looks unrelated.
            byte[] other = s.nonce().clone();
            other[0] ^= 1;
            assertThat(codec.encode(s.serverId(), other)).isNotEqualTo(cid);
        }
    }
}
