package io.wavelb.core.listener;

import static io.wavelb.core.listener.SocketKind.AF_INET;
import static io.wavelb.core.listener.SocketKind.AF_INET6;
import static io.wavelb.core.listener.SocketKind.AF_UNIX;
import static io.wavelb.core.listener.SocketKind.IPPROTO_TCP;
import static io.wavelb.core.listener.SocketKind.IPPROTO_UDP;
import static io.wavelb.core.listener.SocketKind.SOCK_DGRAM;
import static io.wavelb.core.listener.SocketKind.SOCK_SEQPACKET;
import static io.wavelb.core.listener.SocketKind.SOCK_STREAM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** What an inherited descriptor must be, from the socket options the kernel reports. */
class SocketKindTest {

    @Test
    void listeningTcpAndUdpOfEitherFamilyAreUsable() {
        assertThat(SocketKind.of(AF_INET, SOCK_STREAM, IPPROTO_TCP, true)).isEqualTo(SocketKind.TCP_LISTENER);
        assertThat(SocketKind.of(AF_INET6, SOCK_STREAM, IPPROTO_TCP, true)).isEqualTo(SocketKind.TCP_LISTENER);
        assertThat(SocketKind.of(AF_INET, SOCK_DGRAM, IPPROTO_UDP, false).udp()).isTrue();
        assertThat(SocketKind.of(AF_INET6, SOCK_DGRAM, IPPROTO_UDP, false).udp()).isTrue();
    }

    @Test
    void aTcpConnectionIsRefusedWithTheSettingThatCausesIt() {
        assertThatThrownBy(() -> SocketKind.of(AF_INET, SOCK_STREAM, IPPROTO_TCP, false))
                .hasMessageContaining("not listening").hasMessageContaining("Accept=no");
    }

    @Test
    void otherFamiliesTypesAndProtocolsAreRefused() {
        assertThatThrownBy(() -> SocketKind.of(AF_UNIX, SOCK_STREAM, 0, true)).hasMessageContaining("Unix domain socket");
        assertThatThrownBy(() -> SocketKind.of(17, SOCK_DGRAM, 0, false)).hasMessageContaining("address family 17");
        assertThatThrownBy(() -> SocketKind.of(AF_INET6, SOCK_SEQPACKET, 132, true))
                .hasMessage("an IPv6 seqpacket socket of IP protocol 132; wavelb uses TCP (ListenStream=) and UDP"
                        + " (ListenDatagram=) sockets only");
        assertThatThrownBy(() -> SocketKind.of(AF_INET, SOCK_DGRAM, 1, false)).hasMessageContaining("IP protocol 1");
    }
}
