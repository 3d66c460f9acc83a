package io.wavelb.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientAddressTest {

    @Test
    void anIpv4ClientIsOneKeyWhetherItCameAsIpv4OrIpv4MappedIpv6() throws Exception {
        InetSocketAddress v4 = new InetSocketAddress(InetAddress.getByName("192.0.2.7"), 5000);
        // 192.0.2.7 = 0xC0000207, as ::ffff:192.0.2.7 read in two big-endian halves
        ClientAddress mapped = ClientAddress.probe().setV6(0, 0x0000_FFFF_C000_0207L, 5000, 3);
        ClientAddress fromObject = ClientAddress.of(v4);
        ClientAddress fromNumber = ClientAddress.probe().setV4(0xC000_0207, 5000);

        assertThat(fromObject).isEqualTo(mapped).isEqualTo(fromNumber).hasSameHashCodeAs(mapped).hasSameHashCodeAs(fromNumber);
        assertThat(mapped.isV4()).isTrue();
        assertThat(mapped.scope()).as("a mapped IPv4 address has no scope").isZero();
        assertThat(mapped.v4()).isEqualTo(0xC000_0207);
        assertThat(mapped.toSocketAddress()).isEqualTo(v4);
        assertThat(mapped.toSocketAddress().getAddress()).isInstanceOf(Inet4Address.class);
    }

    @Test
    void ipv6AddressesPortsAndScopesAreDistinctKeys() throws Exception {
        InetSocketAddress a = new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 443);
        ClientAddress key = ClientAddress.of(a);
        assertThat(key.isV4()).isFalse();
        assertThat(key.high()).isEqualTo(0x2001_0DB8_0000_0000L);
        assertThat(key.low()).isEqualTo(1L);
        assertThat(key.toSocketAddress()).isEqualTo(a);

        assertThat(ClientAddress.of(new InetSocketAddress(InetAddress.getByName("2001:db8::2"), 443))).isNotEqualTo(key);
        assertThat(ClientAddress.of(new InetSocketAddress(InetAddress.getByName("2001:db8::1"), 444))).isNotEqualTo(key);
        assertThat(ClientAddress.of(new InetSocketAddress(InetAddress.getByName("2001:db9::1"), 443))).isNotEqualTo(key);

        byte[] linkLocal = InetAddress.getByName("fe80::1").getAddress();
        ClientAddress eth0 = ClientAddress.of(new InetSocketAddress(Inet6Address.getByAddress(null, linkLocal, 2), 9));
        ClientAddress eth1 = ClientAddress.of(new InetSocketAddress(Inet6Address.getByAddress(null, linkLocal, 3), 9));
        assertThat(eth0).as("the same link-local address on two interfaces").isNotEqualTo(eth1);
        assertThat(((Inet6Address) eth0.toSocketAddress().getAddress()).getScopeId()).isEqualTo(2);
    }

    @Test
    void aProbeFindsTheStoredKeyAndStoredKeysNeverChange() throws Exception {
        Map<ClientAddress, String> table = new HashMap<>();
        ClientAddress probe = ClientAddress.probe();
        for (int i = 0; i < 1000; i++) {
            table.put(probe.setV4(0x0A00_0000 + i, 40_000 + i % 7).copy(), "v4-" + i);
            table.put(probe.setV6(0x2001_0DB8_0000_0000L, i, 40_000 + i % 7, 0).copy(), "v6-" + i);
        }
        assertThat(table).hasSize(2000);
        assertThat(table.get(probe.setV4(0x0A00_0000 + 321, 40_000 + 321 % 7))).isEqualTo("v4-321");
        assertThat(table.get(probe.setV6(0x2001_0DB8_0000_0000L, 654, 40_000 + 654 % 7, 0))).isEqualTo("v6-654");
        assertThat(table.get(probe.setV4(0x0A00_0000 + 321, 1))).isNull();

        ClientAddress stored = probe.copy();
        assertThatThrownBy(() -> stored.setV4(1, 1)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> ClientAddress.of(InetSocketAddress.createUnresolved("example.com", 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unresolved");
    }

    @Test
    void keysSpreadOverHashBuckets() {
        // Clients of one /24 on one port, and one client on many ports: the hash must tell them apart.
        ClientAddress probe = ClientAddress.probe();
        java.util.Set<Integer> low = new java.util.HashSet<>();
        for (int i = 0; i < 256; i++) {
            low.add(probe.setV4(0xC633_6400 | i, 3478).hashCode() & 255);
            low.add(probe.setV4(0xC633_6401, 1024 + i).hashCode() & 255);
        }
        assertThat(low).as("distinct low bytes of 512 hashes").hasSizeGreaterThan(200);
    }
}
