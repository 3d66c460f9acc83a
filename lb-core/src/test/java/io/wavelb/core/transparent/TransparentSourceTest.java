package io.wavelb.core.transparent;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.ConfigException;
import io.wavelb.config.ConfigLoader;
import java.net.InetSocketAddress;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TransparentSourceTest {

    private static InetSocketAddress at(String ip, int port) {
        return new InetSocketAddress(ip, port);
    }

    @Test
    void theClientsOwnAddressInTheTargetsFamily() {
        assertThat(TransparentSource.of(at("198.51.100.7", 40000), at("10.0.0.1", 7000), 40000))
                .isEqualTo(at("198.51.100.7", 40000));
        assertThat(TransparentSource.of(at("2001:db8::7", 40000), at("fd00::1", 7000), 0)).isEqualTo(at("2001:db8::7", 0));
    }

    @Test
    void anIpv4MappedClientBindsItsIpv4AddressAndOtherFamiliesCannotBeBound() throws Exception {
        byte[] b = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, (byte) 198, 51, 100, 7};
        InetSocketAddress mapped = new InetSocketAddress(java.net.Inet6Address.getByAddress(null, b, -1), 40000);
        assertThat(TransparentSource.of(mapped, at("10.0.0.1", 7000), 40000)).isEqualTo(at("198.51.100.7", 40000));
        assertThat(TransparentSource.of(mapped, at("fd00::1", 7000), 40000)).isNull();
        assertThat(TransparentSource.of(at("2001:db8::7", 1), at("10.0.0.1", 7000), 1)).isNull();
    }

    @Test
    void needsNameTheFamiliesOfListenAddressAndTargets() throws ConfigException {
        var config = ConfigLoader.parse("""
                listeners:
                  - {name: a, protocol: udp, listen: "[::]:7000", target_group: v4, transparent: true}
                  - {name: b, protocol: udp, listen: "[::]:7001", target_group: named, transparent: true}
                  - {name: c, protocol: udp, listen: "0.0.0.0:7002", target_group: v4}
                target_groups:
                  - {name: v4, targets: [{address: "10.0.0.1:9000"}]}
                  - {name: named, targets: [{address: "t.internal:9000"}]}
                """, "c.yaml");
        assertThat(TransparentNeeds.of(config)).containsExactly(
                new TransparentNeeds("a", Set.of(IpFamily.IPV4)),
                new TransparentNeeds("b", Set.of(IpFamily.IPV4, IpFamily.IPV6)));
    }
}
