package io.wavelb.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.config.ConfigLoader;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.admin.AdminOperations;
import io.wavelb.core.listener.InheritedSockets;
import io.wavelb.core.takeover.ControlServer;
import io.wavelb.core.takeover.TakeoverClient;
import io.wavelb.core.takeover.TakeoverProtocol;
import io.wavelb.core.takeover.TakeoverStats;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.Ports;
import io.wavelb.core.testing.UdpClient;
import java.io.IOException;
import java.net.BindException;
import java.net.ConnectException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The listeners bind last ({@link Wavelb#prepare}, then {@link Wavelb#bindListeners}): what runs
 * before them answers sanely meanwhile, and a listener that cannot bind takes down again what
 * started before it.
 */
@Timeout(60)
class StartOrderSystemTest {

    private static final String STARTING = "starting: the listeners are not bound yet";

    @TempDir
    Path dir;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private Path file(int admin, int port, String target) throws IOException {
        Path file = dir.resolve("wavelb.yaml");
        Files.writeString(file, """
                admin:
                  listen: 127.0.0.1:%d
                listeners:
                  - name: edge
                    protocol: udp
                    listen: 127.0.0.1:%d
                    target_group: g
                target_groups:
                  - name: g
                    targets:
                      - address: %s
                """.formatted(admin, port, target));
        return file;
    }

    private static Wavelb prepare(Path file) throws Exception {
        WavelbConfig config = ConfigLoader.load(file);
        return Wavelb.prepare(config, Optional.of(file), List.of(), InheritedSockets.none());
    }

    private HttpResponse<String> get(int admin, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void beforeItsListenersBindTheProcessIsAliveNotReadyAndRefusesReloads() throws Exception {
        try (EchoServer echo = EchoServer.start("e")) {
            int port = Ports.freeTcpAndUdp();
            int admin = Ports.freeTcpAndUdp();
            try (Wavelb wavelb = prepare(file(admin, port, echo.address()))) {
                HttpResponse<String> ready = get(admin, "/readyz");
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body()).contains(STARTING);
                assertThat(get(admin, "/healthz").statusCode()).as("alive: nothing is stuck").isEqualTo(200);
                assertThat(wavelb.balancer().reload()).isEqualTo(new AdminOperations.Failed(STARTING));
                assertThat(wavelb.balancer().listeners()).isEmpty();
                try (DatagramSocket free = new DatagramSocket(new InetSocketAddress("127.0.0.1", port))) {
                    assertThat(free.getLocalPort()).as("the listener's port is not bound yet").isEqualTo(port);
                }

                wavelb.bindListeners();

                assertThat(get(admin, "/readyz").statusCode()).isEqualTo(200);
                try (UdpClient client = new UdpClient(new InetSocketAddress("127.0.0.1", port))) {
                    assertThat(client.target("first")).isEqualTo("e");
                }
                assertThat(wavelb.balancer().reload()).isInstanceOf(AdminOperations.Reloaded.class);
            }
        }
    }

    @Test
    void aListenerThatCannotBindClosesTheAdminEndpointStartedBeforeIt() throws Exception {
        try (DatagramSocket holder = new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
            int port = holder.getLocalPort();
            int admin = Ports.freeTcpAndUdp();
            Wavelb wavelb = prepare(file(admin, port, "127.0.0.1:9"));
            assertThat(get(admin, "/healthz").statusCode()).isEqualTo(200);

            assertThatThrownBy(wavelb::bindListeners).isInstanceOf(BindException.class)
                    .hasMessage("listener 'edge': cannot listen on udp 127.0.0.1:" + port + ": address already in use");

            assertThatThrownBy(() -> {
                try (Socket s = new Socket()) {
                    s.connect(new InetSocketAddress("127.0.0.1", admin), 2000);
                }
            }).as("the admin endpoint is closed again").isInstanceOf(ConnectException.class);
            assertThat(wavelb.balancer().listening()).isFalse();
        }
    }

    @Test
    void aTakeoverAskedBeforeTheListenersBindIsAnsweredWithThemOnceTheControlSocketOpens() throws Exception {
        int port = Ports.freeTcpAndUdp();
        Path socket = dir.resolve("state").resolve("control.sock");
        try (Wavelb wavelb = prepare(file(Ports.freeTcpAndUdp(), port, "127.0.0.1:9"))) {
            ControlServer control = ControlServer.startClosed(socket, wavelb.balancer().runningSide(), new ControlServer.Events() {
                @Override
                public Process startSuccessor() throws IOException {
                    throw new IOException("not here");
                }

                @Override
                public void handingOver(long newPid) {
                }

                @Override
                public void handedOver(long newPid) {
                }
            }, new TakeoverStats());
            try (TakeoverClient client = TakeoverClient.connect(socket)) {
                // Answered before the bind, the offer would hold no listener socket.
                CompletableFuture<TakeoverProtocol.Listeners> offer = CompletableFuture.supplyAsync(() -> {
                    try {
                        return client.hello();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                wavelb.bindListeners();
                control.open();
                assertThat(offer.get(20, TimeUnit.SECONDS).sockets())
                        .extracting(TakeoverProtocol.ListenerSocket::listener).containsExactly("edge");
            } finally {
                control.close();
            }
        }
    }
}
