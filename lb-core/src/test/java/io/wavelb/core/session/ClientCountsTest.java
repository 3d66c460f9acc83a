package io.wavelb.core.session;

import static org.assertj.core.api.Assertions.assertThat;

import io.wavelb.config.ClientPrefix;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

/** Per-client counting and what one client is: no sockets. */
class ClientCountsTest {

    private static ClientKey key(String address, ClientPrefix prefix) throws Exception {
        return ClientKey.of(InetAddress.getByName(address), prefix);
    }

    @Test
    void aClientIsItsAddressOrItsNetworkUnderThePrefix() throws Exception {
        ClientPrefix exact = ClientPrefix.DEFAULTS;
        assertThat(key("10.0.0.1", exact)).isNotEqualTo(key("10.0.0.2", exact));
        ClientPrefix slash24 = new ClientPrefix(24, 48);
        assertThat(key("10.0.0.1", slash24)).isEqualTo(key("10.0.0.254", slash24));
        assertThat(key("10.0.0.1", slash24)).isNotEqualTo(key("10.0.1.1", slash24));
        assertThat(key("2001:db8:1:2:aaaa::1", exact)).as("one /64").isEqualTo(key("2001:db8:1:2:bbbb::9", exact));
        assertThat(key("2001:db8:1:2::1", exact)).isNotEqualTo(key("2001:db8:1:3::1", exact));
        assertThat(key("2001:db8:1:2::1", slash24)).as("/48").isEqualTo(key("2001:db8:1:ffff::1", slash24));
        ClientPrefix full = new ClientPrefix(1, 128);
        assertThat(key("2001:db8::1", full)).isNotEqualTo(key("2001:db8::2", full));
        assertThat(key("10.0.0.1", full)).as("/1").isEqualTo(key("127.0.0.1", full));
        assertThat(key("10.0.0.1", exact)).as("families never meet").isNotEqualTo(key("::a00:1", exact));
        InetAddress mapped = Inet6Address.getByAddress(null,
                new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff, 10, 0, 0, 1}, -1);
        assertThat(ClientKey.of(mapped, exact)).as("an IPv4-mapped address is the IPv4 client")
                .isEqualTo(key("10.0.0.1", exact)).isNotEqualTo(key("10.0.0.2", exact));
    }

    @Test
    void aClientGetsItsLimitAndRoomBackWhenAFlowEnds() throws Exception {
        ClientCounts counts = new ClientCounts();
        ClientKey a = key("10.0.0.1", ClientPrefix.DEFAULTS);
        ClientKey b = key("10.0.0.2", ClientPrefix.DEFAULTS);
        assertThat(counts.tryOpen(a, 2)).isTrue();
        assertThat(counts.tryOpen(a, 2)).isTrue();
        assertThat(counts.tryOpen(a, 2)).as("over its limit").isFalse();
        assertThat(counts.held(a)).isEqualTo(2);
        assertThat(counts.tryOpen(b, 2)).as("another client").isTrue();
        counts.closed(a);
        assertThat(counts.tryOpen(a, 2)).isTrue();
        counts.open(a);
        assertThat(counts.held(a)).as("a handed-over flow counts whatever the limit").isEqualTo(3);
    }

    @Test
    void theMapHoldsOnlyClientsWithFlows() throws Exception {
        ClientCounts counts = new ClientCounts();
        for (int i = 1; i <= 200; i++) {
            ClientKey k = key("10.0." + (i / 250) + "." + (i % 250), ClientPrefix.DEFAULTS);
            assertThat(counts.tryOpen(k, 1)).isTrue();
            counts.closed(k);
        }
        assertThat(counts.clients()).isZero();
    }
}
