package io.wavelb.core.listener;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.FileDescriptor;
import io.netty.channel.unix.Socket;
import io.wavelb.config.Algorithm;
import io.wavelb.config.Protocol;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.listener.InheritedSockets.InheritedSocket;
import io.wavelb.core.testing.TestConfigs;
import io.wavelb.core.testing.UdpClient;
import io.wavelb.core.testing.WithThreeEchoTargets;
import io.wavelb.core.udp.UdpListener;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Listeners on sockets this process did not bind through the listener: bound and listening
 * sockets made here with Netty's native calls stand in for the ones systemd passes (the real
 * systemd-socket-activate is {@code systemd.SocketActivationSystemTest}).
 */
@Timeout(60)
class InheritedListenersSystemTest extends WithThreeEchoTargets {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** Sockets the test made and did not hand to a balancer; closed after each test. */
    private final List<Socket> made = new ArrayList<>();

    @TempDir
    Path dir;

    @BeforeEach
    void epoll() {
        Epoll.ensureAvailability();
    }

    @AfterEach
    void closeLeftovers() throws IOException {
        for (Socket s : made) {
            if (s.isOpen()) {
                s.close();
            }
        }
    }

    private Socket udpSocket() throws IOException {
        return udpSocket(0);
    }

    private Socket udpSocket(int port) throws IOException {
        Socket s = Socket.newSocketDgram();
        s.bind(new InetSocketAddress(LOOPBACK, port));
        made.add(s);
        return s;
    }

    private Socket tcpListeningSocket() throws IOException {
        Socket s = Socket.newSocketStream();
        s.bind(new InetSocketAddress(LOOPBACK, 0));
        s.listen(128);
        made.add(s);
        return s;
    }

    private WavelbConfig config(Transport transport) {
        return TestConfigs.single(Protocol.TCP_UDP, Algorithm.MAGLEV, UdpSettings.DEFAULTS, TcpSettings.DEFAULTS,
                List.of(a.address()), "127.0.0.1", transport);
    }

    @Test
    void inspectionTellsProtocolAndAddressWithoutBinding() throws IOException {
        Socket u = udpSocket();
        Socket t = tcpListeningSocket();
        InheritedSocket udp = Descriptors.inspect(u.intValue(), "dns");
        InheritedSocket tcp = Descriptors.inspect(t.intValue(), "web");
        assertThat(udp).isEqualTo(new InheritedSocket(u.intValue(), "dns", true, u.localAddress()));
        assertThat(tcp).isEqualTo(new InheritedSocket(t.intValue(), "web", false, t.localAddress()));
        assertThat(udp.local().getAddress()).isEqualTo(LOOPBACK);
    }

    @Test
    void aDescriptorThatIsNotAUsableSocketIsNamedInTheError() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-socket"), "x");
        FileDescriptor f = FileDescriptor.from(file.toFile());
        try {
            assertThatThrownBy(() -> Descriptors.inspect(f.intValue(), "dns"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("fd " + f.intValue() + " (named 'dns') is not a socket we can use: " + file);
        } finally {
            f.close();
        }
        Socket connection = Socket.newSocketStream();
        made.add(connection);
        connection.bind(new InetSocketAddress(LOOPBACK, 0));
        assertThatThrownBy(() -> Descriptors.inspect(connection.intValue(), "web"))
                .hasMessageContaining("fd " + connection.intValue() + " (named 'web') is an ")
                .hasMessageContaining("TCP socket that is not listening");
    }

    @Test
    void listenersServeOnTheInheritedSocketsOneEachAndTheUnmatchedOneIsClosed() throws Exception {
        Socket t = tcpListeningSocket();
        // A tcp_udp listener's sides share a port, as ListenStream=/ListenDatagram= on one port would.
        Socket u = udpSocket(t.localAddress().getPort());
        Socket stray = udpSocket();
        InetSocketAddress strayAddress = stray.localAddress();
        InheritedSockets inherited = InheritedSockets.of("the test", List.of(
                Descriptors.inspect(u.intValue(), "test"), Descriptors.inspect(t.intValue(), "test"),
                Descriptors.inspect(stray.intValue(), "stray")));
        // The balancer owns them now: it closes them, the test must not.
        made.clear();

        lb = LoadBalancer.start(config(Transport.EPOLL), Optional.empty(), List.of(), inherited);

        assertThat(lb.listeners()).extracting(Listener::localAddress).containsOnly(u.localAddress());
        UdpListener udp = lb.listeners().stream().filter(UdpListener.class::isInstance).map(UdpListener.class::cast)
                .findFirst().orElseThrow();
        assertThat(udp.receiveBufferSizes()).as("one socket, not one per event loop").hasSize(1);
        try (UdpClient client = new UdpClient(u.localAddress())) {
            assertThat(client.target("hello", 5000)).isEqualTo("a");
        }
        try (java.net.Socket client = new java.net.Socket(LOOPBACK, u.localAddress().getPort())) {
            client.setSoTimeout(5000);
            client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
            InputStream in = client.getInputStream();
            assertThat(new String(in.readNBytes(4), StandardCharsets.US_ASCII)).isEqualTo("ping");
        }
        // Closed: its port can be bound again by a socket without SO_REUSEPORT/SO_REUSEADDR.
        try (DatagramSocket again = new DatagramSocket(strayAddress)) {
            assertThat(again.getLocalPort()).isEqualTo(strayAddress.getPort());
        }
    }

    @Test
    void aTransportThatCannotAdoptSaysWhichToUseAndClosesTheSockets() throws Exception {
        Socket u = udpSocket();
        InetSocketAddress at = u.localAddress();
        InheritedSockets inherited = InheritedSockets.of("systemd", List.of(Descriptors.inspect(u.intValue(), "test")));
        made.clear();
        assertThatThrownBy(() -> LoadBalancer.start(config(Transport.NIO), Optional.empty(), List.of(), inherited))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("systemd passed 1 listening socket(s), which the nio transport cannot use")
                .hasMessageContaining("runtime.transport: epoll");
        try (DatagramSocket again = new DatagramSocket(at)) {
            assertThat(again.getLocalPort()).isEqualTo(at.getPort());
        }
    }
}
