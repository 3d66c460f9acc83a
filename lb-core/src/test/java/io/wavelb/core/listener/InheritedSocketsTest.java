package io.wavelb.core.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.core.listener.InheritedSockets.InheritedSocket;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which listener side takes which inherited socket: by name, else by protocol and address. */
class InheritedSocketsTest {

    private static InetSocketAddress at(String host, int port) {
        return new InetSocketAddress(host, port);
    }

    private static InheritedSocket udp(int fd, String name, String host, int port) {
        return new InheritedSocket(fd, name, true, at(host, port));
    }

    private static InheritedSocket tcp(int fd, String name, String host, int port) {
        return new InheritedSocket(fd, name, false, at(host, port));
    }

    @Test
    void aNamedSocketGoesToTheListenerOfThatNameAndProtocolWhateverItsAddress() {
        InheritedSockets s = InheritedSockets.of("systemd", List.of(udp(3, "dns", "0.0.0.0", 53), tcp(4, "dns", "0.0.0.0", 53)));
        assertThat(s.take("web", true, at("0.0.0.0", 53))).isEmpty();
        assertThat(s.take("dns", true, at("127.0.0.1", 5353))).containsExactly(3);
        assertThat(s.take("dns", false, at("127.0.0.1", 5353))).containsExactly(4);
        assertThat(s.untaken()).isEmpty();
        assertThat(s.isEmpty()).isTrue();
    }

    @Test
    void socketsOfOneNameComeInTheOrderPassedAndAreTakenOnce() {
        InheritedSockets s = InheritedSockets.of("systemd",
                List.of(udp(3, "dns", "127.0.0.1", 53), udp(4, "other", "127.0.0.1", 54), udp(5, "dns", "127.0.0.1", 53)));
        assertThat(s.take("dns", true, at("127.0.0.1", 53))).containsExactly(3, 5);
        assertThat(s.take("dns", true, at("127.0.0.1", 53))).isEmpty();
        assertThat(s.untaken()).extracting(InheritedSocket::fd).containsExactly(4);
    }

    @Test
    void aSocketWithoutAUsefulNameGoesByProtocolAndAddress() {
        for (String name : List.of("unknown", "wavelb.socket", "")) {
            InheritedSockets s = InheritedSockets.of("systemd", List.of(udp(3, name, "127.0.0.1", 5353)));
            assertThat(s.take("dns", false, at("127.0.0.1", 5353))).as("other protocol").isEmpty();
            assertThat(s.take("dns", true, at("127.0.0.1", 5354))).as("other port").isEmpty();
            assertThat(s.take("dns", true, at("127.0.0.2", 5353))).as("other host").isEmpty();
            assertThat(s.take("dns", true, at("127.0.0.1", 5353))).as(name).containsExactly(3);
        }
    }

    @Test
    void aWildcardMatchesOnlyAWildcardOfTheSameFamily() {
        InheritedSockets s = InheritedSockets.of("systemd", List.of(tcp(3, "unknown", "0.0.0.0", 80), tcp(4, "unknown", "::", 443)));
        assertThat(s.take("web", false, at("127.0.0.1", 80))).isEmpty();
        assertThat(s.take("web", false, at("::", 80))).isEmpty();
        assertThat(s.take("web", false, at("0.0.0.0", 443))).isEmpty();
        assertThat(s.take("web", false, at("0.0.0.0", 80))).containsExactly(3);
        assertThat(s.take("tls", false, at("::", 443))).containsExactly(4);
    }

    @Test
    void aNamedSocketIsNeverTakenByAddress() {
        // FileDescriptorName= says which listener: a listener that merely shares the address does not get it.
        InheritedSockets s = InheritedSockets.of("systemd", List.of(udp(3, "dns", "127.0.0.1", 53)));
        assertThat(s.take("other", true, at("127.0.0.1", 53))).isEmpty();
        assertThat(s.untaken()).extracting(InheritedSocket::fd).containsExactly(3);
    }

    @Test
    void socketsOfOneSideOnDifferentAddressesAreRefusedAndLeftUntaken() {
        InheritedSockets s = InheritedSockets.of("systemd", List.of(udp(3, "dns", "127.0.0.1", 53), udp(4, "dns", "::1", 53)));
        assertThatThrownBy(() -> s.take("dns", true, at("127.0.0.1", 53)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("listener 'dns' (udp): systemd passed sockets on different addresses")
                .hasMessageContaining("fd 3 'dns' (udp 127.0.0.1:53)")
                .hasMessageContaining("fd 4 'dns' (udp [0:0:0:0:0:0:0:1]:53)");
        assertThat(s.untaken()).hasSize(2);
    }

    @Test
    void noneHasNothingToTake() {
        assertThat(InheritedSockets.none().take("dns", true, at("127.0.0.1", 53))).isEmpty();
        assertThat(InheritedSockets.none().untaken()).isEmpty();
        assertThat(InheritedSockets.of("systemd", List.of()).isEmpty()).isTrue();
    }
}
