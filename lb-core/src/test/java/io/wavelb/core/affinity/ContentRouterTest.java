package io.wavelb.core.affinity;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.HexBytes;
import io.wavelb.config.QuicLbConfig;
import io.wavelb.config.UdpAffinity;
import io.wavelb.config.UdpSettings;
import io.wavelb.core.quic.QuicLbCodec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The affinity decision from a datagram's bytes alone: no socket, no Netty, targets are strings. */
class ContentRouterTest {

    private static final QuicLbConfig QUIC_LB =
            new QuicLbConfig(1, 2, 6, Optional.of(new HexBytes("8f95f09245765f80256934e50c66207f")));
    private static final QuicLbCodec CODEC = new QuicLbCodec(QUIC_LB);

    /** Two targets with server IDs 0x002a ("a") and 0x00ff ("b"); hashing gives "hashed". */
    private static final class FakeTargets implements ContentRouter.Targets<String> {
        final Map<String, String> byId = new HashMap<>(Map.of("002a", "a", "00ff", "b"));
        String hashed = "hashed";
        long lastHash;

        @Override
        public String byServerId(byte[] serverId, int length) {
            return byId.get(HexBytes.of(Arrays.copyOf(serverId, length)).hex());
        }

        @Override
        public String byUfragPrefix(byte[] text, int offset, int length) {
            String ufrag = new String(text, offset, length, StandardCharsets.US_ASCII);
            return byId.entrySet().stream().filter(e -> ufrag.startsWith(e.getKey())).map(Map.Entry::getValue)
                    .findFirst().orElse(null);
        }

        @Override
        public String byHash(long hash) {
            lastHash = hash;
            return hashed;
        }
    }

    private final FakeTargets targets = new FakeTargets();

    private static UdpSettings settings(UdpAffinity affinity) {
        return new UdpSettings(Duration.ofSeconds(60), 100, 1500, 0, 0, affinity,
                affinity == UdpAffinity.QUIC ? Optional.of(QUIC_LB) : Optional.empty(), 0);
    }

    /** Copies the datagram's prefix into the scratch array, as the data plane does, and routes it. */
    private static Route route(ContentRouter<String> router, byte[] datagram, ContentRouter.Targets<String> targets) {
        int n = router.prefixLength(datagram.length);
        System.arraycopy(datagram, 0, router.scratch(), 0, n);
        return router.route(datagram.length, targets);
    }

    private static byte[] shortHeader(byte[] serverId) {
        byte[] cid = CODEC.encode(serverId, new byte[] {1, 2, 3, 4, 5, 6});
        byte[] p = new byte[1 + cid.length + 30];
        p[0] = 0x40;
        System.arraycopy(cid, 0, p, 1, cid.length);
        return p;
    }

    private static byte[] initial(byte[] dcid) {
        byte[] p = new byte[6 + dcid.length + 40];
        p[0] = (byte) 0xc0;
        p[4] = 1;
        p[5] = (byte) dcid.length;
        System.arraycopy(dcid, 0, p, 6, dcid.length);
        return p;
    }

    /** A STUN Binding Request, optionally with a USERNAME. */
    private static byte[] bindingRequest(String username) {
        byte[] value = username == null ? new byte[0] : username.getBytes(StandardCharsets.UTF_8);
        int attr = username == null ? 0 : 4 + (value.length + 3 & ~3);
        byte[] m = new byte[20 + attr];
        m[1] = 0x01;
        m[2] = (byte) (attr >>> 8);
        m[3] = (byte) attr;
        m[4] = 0x21;
        m[5] = 0x12;
        m[6] = (byte) 0xA4;
        m[7] = 0x42;
        if (username != null) {
            m[21] = 0x06;
            m[22] = (byte) (value.length >>> 8);
            m[23] = (byte) value.length;
            System.arraycopy(value, 0, m, 24, value.length);
        }
        return m;
    }

    @Test
    void addressAffinitiesReadNoContent() {
        for (UdpAffinity affinity : new UdpAffinity[] {UdpAffinity.FIVE_TUPLE, UdpAffinity.SOURCE_IP}) {
            ContentRouter<String> router = ContentRouter.of(settings(affinity));
            assertThat(router.readsContent()).isFalse();
            assertThat(router.prefixLength(1200)).isZero();
            assertThat(router.route(1200, targets)).isEqualTo(Route.NONE);
            assertThat(router.target()).isNull();
        }
    }

    @Test
    void aQuicShortHeaderRoutesToTheTargetItsServerIdNames() {
        ContentRouter<String> router = ContentRouter.of(settings(UdpAffinity.QUIC));
        assertThat(router.readsContent()).isTrue();
        assertThat(route(router, shortHeader(new byte[] {0x00, 0x2a}), targets)).isEqualTo(Route.QUIC_CID);
        assertThat(router.target()).isEqualTo("a");
        assertThat(route(router, shortHeader(new byte[] {0x00, (byte) 0xff}), targets)).isEqualTo(Route.QUIC_CID);
        assertThat(router.target()).isEqualTo("b");
    }

    @Test
    void aServerChosenIdNoTargetHasIsUnknownAndTheFiveTupleDecides() {
        ContentRouter<String> router = ContentRouter.of(settings(UdpAffinity.QUIC));
        assertThat(route(router, shortHeader(new byte[] {0x01, 0x01}), targets)).isEqualTo(Route.QUIC_UNKNOWN_SERVER_ID);
        assertThat(router.target()).isNull();
    }

    @Test
    void anInitialWithTheClientsRandomIdFallsBack() {
        ContentRouter<String> router = ContentRouter.of(settings(UdpAffinity.QUIC));
        byte[] random = {0x25, 9, 8, 7, 6, 5, 4, 3, 2};
        assertThat(route(router, initial(random), targets)).isEqualTo(Route.QUIC_FALLBACK);
        assertThat(router.target()).isNull();
    }

    @Test
    void configBits111AreUnroutable() {
        ContentRouter<String> router = ContentRouter.of(settings(UdpAffinity.QUIC));
        byte[] p = shortHeader(new byte[] {0x00, 0x2a});
        p[1] = (byte) (0b111 << 5 | (p[1] & 0x1f));
        assertThat(route(router, p, targets)).isEqualTo(Route.QUIC_UNROUTABLE);
        assertThat(router.target()).isNull();
    }

    @Test
    void anEmptyOrTruncatedDatagramFallsBackWithoutThrowing() {
        ContentRouter<String> router = ContentRouter.of(settings(UdpAffinity.QUIC));
        assertThat(route(router, new byte[0], targets)).isEqualTo(Route.QUIC_FALLBACK);
        assertThat(route(router, new byte[] {0x40, 0x22}, targets)).isEqualTo(Route.QUIC_FALLBACK);
        assertThat(router.target()).isNull();
    }

    @Test
    void aTargetAfterARouteIsForgottenByTheNextDatagram() {
        ContentRouter<String> router = ContentRouter.of(settings(UdpAffinity.QUIC));
        route(router, shortHeader(new byte[] {0x00, 0x2a}), targets);
        assertThat(router.target()).isEqualTo("a");
        route(router, new byte[] {1, 2, 3}, targets);
        assertThat(router.target()).isNull();
    }

    @Test
    void aStunUfragStartingWithAServerIdRoutesToThatTarget() {
        ContentRouter<String> router = ContentRouter.of(settings(UdpAffinity.STUN));
        assertThat(route(router, bindingRequest("00ffx1y2:client"), targets)).isEqualTo(Route.STUN_SERVER_ID);
        assertThat(router.target()).isEqualTo("b");
    }

    @Test
    void anyOtherUfragRoutesByItsHashTheSameEveryTime() {
        ContentRouter<String> router = ContentRouter.of(settings(UdpAffinity.STUN));
        assertThat(route(router, bindingRequest("zzzz:client1"), targets)).isEqualTo(Route.STUN_UFRAG_HASH);
        assertThat(router.target()).isEqualTo("hashed");
        long first = targets.lastHash;
        // The other agent's part of USERNAME (after the colon) is not what routes.
        route(router, bindingRequest("zzzz:other"), targets);
        assertThat(targets.lastHash).isEqualTo(first);
        route(router, bindingRequest("yyyy:client1"), targets);
        assertThat(targets.lastHash).isNotEqualTo(first);
    }

    @Test
    void aUfragHashWithNoTargetInRotationRoutesNowhere() {
        targets.hashed = null;
        ContentRouter<String> router = ContentRouter.of(settings(UdpAffinity.STUN));
        assertThat(route(router, bindingRequest("zzzz:client1"), targets)).isEqualTo(Route.NONE);
        assertThat(router.target()).isNull();
    }

    @Test
    void aBindingRequestWithoutUsernameAndOtherDatagramsUseTheFiveTuple() {
        ContentRouter<String> router = ContentRouter.of(settings(UdpAffinity.STUN));
        assertThat(route(router, bindingRequest(null), targets)).isEqualTo(Route.STUN_NO_USERNAME);
        assertThat(router.target()).isNull();
        assertThat(route(router, "not stun at all, just media".getBytes(StandardCharsets.US_ASCII), targets))
                .isEqualTo(Route.NONE);
        assertThat(router.target()).isNull();
    }
}
