package io.wavelb.core.udp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wavelb.config.AdminConfig;
import io.wavelb.config.Algorithm;
import io.wavelb.config.HostPort;
import io.wavelb.config.ListenerConfig;
import io.wavelb.config.Protocol;
import io.wavelb.config.RuntimeSettings;
import io.wavelb.config.TargetConfig;
import io.wavelb.config.TargetGroupConfig;
import io.wavelb.config.TcpSettings;
import io.wavelb.config.Transport;
import io.wavelb.config.UdpSettings;
import io.wavelb.config.WavelbConfig;
import io.wavelb.core.LoadBalancer;
import io.wavelb.core.admin.AdminOperations.ReloadOutcome;
import io.wavelb.core.admin.AdminOperations.Reloaded;
import io.wavelb.core.testing.Commands;
import io.wavelb.core.testing.EchoServer;
import io.wavelb.core.testing.HeldLoop;
import io.wavelb.core.testing.UdpClient;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code udp.receive_buffer} reaches every listener socket, at start and on reload, and
 * {@code udp.session_receive_buffer} every session's socket towards its target (read back from the
 * kernel with iproute2's {@code ss}).
 */
@Timeout(120)
class ReceiveBufferSystemTest {

    private static WavelbConfig config(int port, int receiveBuffer) {
        return config(port, UdpSettings.DEFAULTS.withReceiveBuffer(receiveBuffer), 9);
    }

    private static WavelbConfig config(int port, UdpSettings udp, int targetPort) {
        return new WavelbConfig(new AdminConfig(new HostPort("127.0.0.1", 0)),
                new RuntimeSettings(2, Transport.AUTO, Duration.ofSeconds(1)),
                List.of(new ListenerConfig("l", Protocol.UDP, new HostPort("127.0.0.1", port), "g", udp, TcpSettings.DEFAULTS)),
                List.of(new TargetGroupConfig("g", Algorithm.MAGLEV,
                        List.of(TargetConfig.of(new HostPort("127.0.0.1", targetPort))), 65537)));
    }

    /**
     * SO_RCVBUF (as the kernel reports it, doubled) of each UDP socket connected to 127.0.0.1:{@code port},
     * asked again (at most 50 times) until there are {@code count}: a socket dump the kernel sees
     * interrupted by other sockets opening and closing on a busy machine can come back short.
     */
    private static List<Integer> buffersOfSocketsTo(int port, int count) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        for (int attempt = 0; attempt < 50; attempt++) {
            String out = Commands.check(List.of("ss", "-u", "-a", "-n", "-m", "dst", "127.0.0.1:" + port), 30);
            sizes.clear();
            Matcher m = Pattern.compile("skmem:\\(r\\d+,rb(\\d+),").matcher(out);
            while (m.find()) {
                sizes.add(Integer.parseInt(m.group(1)));
            }
            if (sizes.size() >= count) {
                break;
            }
            Thread.sleep(100);
        }
        return sizes;
    }

    /** A fresh client's datagram, until answered (a busy machine may be slow): one new session. */
    private static void newSession(int port) throws Exception {
        try (UdpClient client = new UdpClient(new InetSocketAddress("127.0.0.1", port))) {
            String answer = null;
            for (int attempt = 0; attempt < 5 && answer == null; attempt++) {
                answer = client.target("hello");
            }
            assertThat(answer).isEqualTo("a");
        }
    }

    private static List<Integer> sizes(LoadBalancer lb) {
        return lb.listeners().stream().filter(l -> l instanceof UdpListener).map(l -> (UdpListener) l)
                .findFirst().orElseThrow().receiveBufferSizes();
    }

    @Test
    void theConfiguredSizeIsSetOnEverySocketAndChangedByAReload() throws Exception {
        // Both sizes are under the smallest rmem_max a Linux host has (212992), so neither is capped.
        int port = io.wavelb.core.testing.Ports.freeTcpAndUdp();
        try (LoadBalancer lb = LoadBalancer.start(config(port, 150_000))) {
            assertThat(sizes(lb)).isNotEmpty().allSatisfy(s -> assertThat(s).isEqualTo(300_000));
            assertThat(lb.apply(config(port, 40_000))).isInstanceOf(io.wavelb.core.admin.AdminOperations.Reloaded.class);
            assertThat(sizes(lb)).allSatisfy(s -> assertThat(s).isEqualTo(80_000));
        }
    }

    @Test
    void sessionSocketsGetTheirOwnSizeAndAReloadChangesItForNewSessions() throws Exception {
        try (EchoServer echo = EchoServer.start("a")) {
            int port = io.wavelb.core.testing.Ports.freeTcpAndUdp();
            UdpSettings udp = UdpSettings.DEFAULTS.withSessionReceiveBuffer(150_000);
            try (LoadBalancer lb = LoadBalancer.start(config(port, udp, echo.port()))) {
                List<Integer> listenerSizes = sizes(lb);
                newSession(port);
                assertThat(buffersOfSocketsTo(echo.port(), 1)).as("the session's socket").containsExactly(300_000);
                assertThat(sizes(lb)).as("the listener's sockets keep their own size").isEqualTo(listenerSizes);

                assertThat(lb.apply(config(port, udp.withSessionReceiveBuffer(40_000), echo.port())))
                        .isInstanceOf(io.wavelb.core.admin.AdminOperations.Reloaded.class);
                // A reload answers once every loop has its settings: the very next session has the new size.
                newSession(port);
                assertThat(buffersOfSocketsTo(echo.port(), 2)).as("the open session keeps its size, the next has the new one")
                        .containsExactlyInAnyOrder(300_000, 80_000);

                assertThat(lb.apply(config(port, udp.withSessionReceiveBuffer(0), echo.port())))
                        .isInstanceOf(io.wavelb.core.admin.AdminOperations.Reloaded.class);
                int kernelDefault = Integer.parseInt(Files.readAllLines(Path.of("/proc/sys/net/core/rmem_default")).getFirst().trim());
                newSession(port);
                assertThat(buffersOfSocketsTo(echo.port(), 3)).as("0: the kernel's default for the next session")
                        .containsExactlyInAnyOrder(300_000, 80_000, kernelDefault);
            }
        }
    }

    /**
     * A reload answers only once every event loop has the new settings: with one loop held busy it
     * does not answer; released, it answers as reloaded and the next session, on either loop, has them.
     */
    @Test
    void aReloadAnswersOnlyOnceEveryLoopHasTakenTheNewSettings() throws Exception {
        try (EchoServer echo = EchoServer.start("a")) {
            int port = io.wavelb.core.testing.Ports.freeTcpAndUdp();
            UdpSettings udp = UdpSettings.DEFAULTS.withSessionReceiveBuffer(150_000);
            try (LoadBalancer lb = LoadBalancer.start(config(port, udp, echo.port()))) {
                CompletableFuture<ReloadOutcome> reload;
                try (HeldLoop held = HeldLoop.hold(lb.loops().next())) {
                    reload = CompletableFuture.supplyAsync(
                            () -> lb.apply(config(port, udp.withSessionReceiveBuffer(40_000), echo.port())));
                    // Without the wait a reload answers within milliseconds; with it, not while the loop is held.
                    assertThatThrownBy(() -> reload.get(2, TimeUnit.SECONDS)).as("an answer while a loop is held")
                            .isInstanceOf(TimeoutException.class);
                }
                ReloadOutcome outcome = reload.get(30, TimeUnit.SECONDS);
                assertThat(outcome).isInstanceOf(Reloaded.class);
                assertThat(((Reloaded) outcome).summary()).doesNotContain("event loop");
                newSession(port);
                assertThat(buffersOfSocketsTo(echo.port(), 1)).as("the next session's socket").containsExactly(80_000);
            }
        }
    }
}
