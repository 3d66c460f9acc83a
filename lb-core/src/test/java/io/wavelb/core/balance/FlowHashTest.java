package io.wavelb.core.balance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FlowHashTest {

    private static final InetAddress CLIENT4 = ip("192.0.2.10");
    private static final InetAddress LISTENER4 = ip("198.51.100.1");
    private static final InetAddress CLIENT6 = ip("2001:db8::10");
    private static final InetAddress LISTENER6 = ip("2001:db8:ffff::1");

    /**
     * Pinned values: every wavelb instance, and every version in a rolling upgrade, must hash a flow
     * identically or ECMP-split flows land on different backends. Change them only deliberately.
     */
    @Test
    void fiveTupleAndSourceIpMatchPinnedVectors() {
        assertThat(FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, 40000, LISTENER4, 7000)).isEqualTo(0xAF16E3589150BCA7L);
        assertThat(FlowHash.fiveTuple(FlowHash.TCP, CLIENT4, 40000, LISTENER4, 7000)).isEqualTo(0x35EAB12D1660973BL);
        assertThat(FlowHash.fiveTuple(FlowHash.UDP, CLIENT6, 40000, LISTENER6, 7000)).isEqualTo(0x69F9CEE8DB697B10L);
        assertThat(FlowHash.sourceIp(CLIENT4)).isEqualTo(0xE4B293F247FE85D2L);
        assertThat(FlowHash.sourceIp(CLIENT6)).isEqualTo(0x9D1A2AA171966995L);
    }

    /** Reference vectors of XXH64 (xxHash's own test suite and other independent implementations). */
    @Test
    void ofStringIsXxHash64OfTheUtf8Bytes() {
        assertThat(FlowHash.ofString("", 0)).isEqualTo(0xEF46DB3751D8E999L);
        assertThat(FlowHash.ofString("", 1)).isEqualTo(0xD5AFBA1336A3BE4BL);
        assertThat(FlowHash.ofString("a", 0)).isEqualTo(0xD24EC4F1A98C6E5BL);
        assertThat(FlowHash.ofString("abc", 0)).isEqualTo(0x44BC2CF5AD770999L);
        assertThat(FlowHash.ofString("Hello, World!", 42)).isEqualTo(0xC2E0FE28B2512846L);
        assertThat(FlowHash.ofString("12345678901234567890123456789012", 0)).isEqualTo(0x40FD1AA52D98274CL);
        assertThat(FlowHash.ofString("The quick brown fox jumps over the lazy dog", 0)).isEqualTo(0x0B242D361FDA71BCL);
    }

    @Test
    void inet4AddressHashCodeIsTheAddressInt() {
        Random random = new Random(1);
        for (int i = 0; i < 1000; i++) {
            byte[] bytes = new byte[4];
            random.nextBytes(bytes);
            InetAddress address = ip(bytes);
            assertThat(address).isInstanceOf(Inet4Address.class);
            assertThat(address.hashCode()).isEqualTo(ByteBuffer.wrap(address.getAddress()).getInt());
        }
    }

    @Test
    void equalAddressesFromDifferentSourcesHashEqually() {
        InetAddress parsed = ip("192.0.2.10");
        InetAddress fromBytes = ip(new byte[] {(byte) 192, 0, 2, 10});
        assertThat(FlowHash.fiveTuple(FlowHash.UDP, parsed, 1, LISTENER4, 2))
                .isEqualTo(FlowHash.fiveTuple(FlowHash.UDP, fromBytes, 1, LISTENER4, 2));
        assertThat(FlowHash.sourceIp(ip("2001:db8:0:0::10"))).isEqualTo(FlowHash.sourceIp(CLIENT6));
    }

    @Test
    void everyFieldOfTheFiveTupleChangesTheHash() {
        long base = FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, 40000, LISTENER4, 7000);
        assertThat(List.of(
                FlowHash.fiveTuple(FlowHash.TCP, CLIENT4, 40000, LISTENER4, 7000),
                FlowHash.fiveTuple(FlowHash.UDP, ip("192.0.2.11"), 40000, LISTENER4, 7000),
                FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, 40001, LISTENER4, 7000),
                FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, 40000, ip("198.51.100.2"), 7000),
                FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, 40000, LISTENER4, 7001),
                FlowHash.fiveTuple(FlowHash.UDP, LISTENER4, 7000, CLIENT4, 40000)))
                .doesNotContain(base)
                .doesNotHaveDuplicates();
    }

    @Test
    void sourcePortChangeFlipsAboutHalfTheBits() {
        Random random = new Random(3);
        long flipped = 0;
        int samples = 10_000;
        for (int i = 0; i < samples; i++) {
            int port = random.nextInt(65536);
            int bit = 1 << random.nextInt(16);
            flipped += Long.bitCount(FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, port, LISTENER4, 7000)
                    ^ FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, port ^ bit, LISTENER4, 7000));
        }
        assertThat((double) flipped / samples).isCloseTo(32.0, within(0.5));
    }

    @Test
    void ipv4AndIpv6BothHashAndDiffer() {
        long v4 = FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, 40000, LISTENER4, 7000);
        long v6 = FlowHash.fiveTuple(FlowHash.UDP, CLIENT6, 40000, LISTENER6, 7000);
        long mixed = FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, 40000, LISTENER6, 7000);
        long compatible = FlowHash.fiveTuple(FlowHash.UDP, ip("::c000:20a"), 40000, LISTENER4, 7000);
        assertThat(List.of(v4, v6, mixed, compatible)).doesNotHaveDuplicates();
        assertThat(FlowHash.sourceIp(CLIENT4)).isNotEqualTo(FlowHash.sourceIp(CLIENT6));
    }

    @Test
    void sourceIpIgnoresPortsSoAllFlowsOfAClientShareABackend() {
        Picker picker = Picker.of(io.wavelb.config.Algorithm.SOURCE_IP, Fixtures.backends(10), Fixtures.M);
        int first = picker.pick(FlowHash.sourceIp(CLIENT4));
        Set<Long> fiveTupleHashes = new HashSet<>();
        for (int port = 1024; port < 1124; port++) {
            fiveTupleHashes.add(FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, port, LISTENER4, 7000));
            assertThat(picker.pick(FlowHash.sourceIp(ip("192.0.2.10")))).isEqualTo(first);
        }
        assertThat(fiveTupleHashes).hasSize(100);
    }

    @Test
    void randomIpv4FlowsSpreadEvenlyOverThreeBackends() {
        Picker picker = Picker.of(io.wavelb.config.Algorithm.MAGLEV, Fixtures.backends(3), Fixtures.M);
        Random random = new Random(11);
        int flows = 300_000;
        int[] counts = new int[3];
        for (int i = 0; i < flows; i++) {
            byte[] src = new byte[4];
            random.nextBytes(src);
            counts[picker.pick(FlowHash.fiveTuple(FlowHash.UDP, ip(src), 1024 + random.nextInt(64512),
                    LISTENER4, 7000))]++;
        }
        for (int count : counts) {
            assertThat(count / (flows / 3.0)).isCloseTo(1.0, within(0.02));
        }
    }

    @Test
    void randomIpv6FlowsFromOneSubnetSpreadEvenlyOverThreeBackends() {
        Picker picker = Picker.of(io.wavelb.config.Algorithm.MAGLEV, Fixtures.backends(3), Fixtures.M);
        Random random = new Random(12);
        int flows = 300_000;
        int[] counts = new int[3];
        byte[] src = ip("2001:db8:1:2::").getAddress();
        for (int i = 0; i < flows; i++) {
            src[15] = (byte) random.nextInt(256);
            src[14] = (byte) random.nextInt(256);
            counts[picker.pick(FlowHash.fiveTuple(FlowHash.UDP, ip(src), 1024 + random.nextInt(64512),
                    LISTENER6, 7000))]++;
        }
        for (int count : counts) {
            assertThat(count / (flows / 3.0)).isCloseTo(1.0, within(0.02));
        }
    }

    @Test
    void ipv4HashesDoNotAllocate() {
        long warm = 0;
        for (int i = 0; i < 20_000; i++) {
            warm += FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, i, LISTENER4, 7000) + FlowHash.sourceIp(CLIENT4);
        }
        long allocated = Allocations.measure(() -> {
            long s = 0;
            for (int i = 0; i < 100_000; i++) {
                s += FlowHash.fiveTuple(FlowHash.UDP, CLIENT4, i, LISTENER4, 7000) + FlowHash.sourceIp(CLIENT4);
            }
            return s;
        });
        assertThat(warm).isNotZero();
        assertThat(allocated).isLessThan(1024);
    }

    private static InetAddress ip(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static InetAddress ip(byte[] bytes) {
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }
}
